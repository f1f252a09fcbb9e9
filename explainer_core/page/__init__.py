"""The page and book machinery: embedding views, the default picture and its trace, the network
for the browser, the names the page shares with the browser (protocol.py, twinned by page.js),
the local server and the Sphinx extensions (sphinxext/, one per job)."""
