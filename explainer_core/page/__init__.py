"""The page and book machinery: embedding views, the default picture and its trace, the network
for the browser, the local server and the Sphinx extension."""
