/*
 * Live code: the chapter's code cells become editable and run in a Jupyter kernel,
 * with thebe served from the book's own _static (explainer_core/page/live_code/thebe/).
 *
 * Nothing is fetched before the reader clicks "Live Code" (the theme's launch menu calls
 * window.initThebe). The kernel then comes from Binder, built from the book's repository
 * (the page's <meta name="explainer-live-code">, written by sphinxext/live_code.py), or,
 * when the page's address names one, from the reader's own Jupyter server on this machine:
 *
 *     chapter.html?jupyter=http://127.0.0.1:8888&token=THE_TOKEN
 *
 * (started with --ServerApp.allow_origin set to the book's origin). Only loopback hosts are
 * accepted, so a link cannot make the page run code on, and show output from, a stranger's server.
 */
(() => {
  "use strict";

  const HERE = new URL(".", document.currentScript.src);
  const LOOPBACK = new Set(["localhost", "127.0.0.1", "[::1]"]);

  function settings() {
    const meta = document.querySelector('meta[name="explainer-live-code"]');
    return meta ? JSON.parse(meta.content) : null;
  }

  /** The reader's own server from ?jupyter=...&token=..., or null for Binder. */
  function ownServer() {
    const query = new URLSearchParams(window.location.search);
    const given = query.get("jupyter");
    if (!given) return null;
    const url = new URL(given);
    if (!LOOPBACK.has(url.hostname)) {
      throw new Error(`live code runs on Binder or on a Jupyter server on this machine, not on ${url.host}`);
    }
    const baseUrl = url.origin + url.pathname.replace(/\/?$/, "/");
    return {
      baseUrl,
      wsUrl: baseUrl.replace(/^http/, "ws"),
      token: query.get("token") || url.searchParams.get("token") || "",
      appendToken: true,
    };
  }

  /** Mark each visible code cell's source and output for thebe (cells shown without input stay as built). */
  function markCells() {
    for (const cell of document.querySelectorAll("div.cell")) {
      const source = cell.querySelector(".cell_input pre");
      if (!source || source.hasAttribute("data-executable")) continue;
      source.setAttribute("data-executable", "true");
      source.setAttribute("data-language", "python");
      // thebe pairs sources and outputs by order, so every source needs its own output box
      let output = cell.querySelector(".cell_output");
      if (!output) {
        output = document.createElement("div");
        output.className = "cell_output docutils container";
        cell.append(output);
      }
      output.setAttribute("data-output", "true");
      cell.querySelectorAll("button.copybtn").forEach((button) => button.remove());
    }
  }

  function load(tag, attributes) {
    return new Promise((resolve, reject) => {
      const element = Object.assign(document.createElement(tag), attributes);
      element.onload = resolve;
      element.onerror = () => reject(new Error(`could not load ${attributes.src || attributes.href}`));
      document.head.append(element);
    });
  }

  /** The BokehJS bundles a live cell may need that the page has not loaded, from the book's _static, in order. */
  async function loadBokehJS(bundles) {
    const loaded = new Set([...document.scripts].map((script) => script.src.split("?")[0].split("/").pop()));
    for (const bundle of bundles || []) {
      if (!loaded.has(bundle.split("/").pop())) await load("script", { src: new URL(`../${bundle}`, HERE).href });
    }
  }

  function say(text, status) {
    for (const button of document.querySelectorAll(".thebe-launch-button")) {
      button.textContent = text;
      button.dataset.status = status;
      button.setAttribute("aria-live", "polite");
    }
  }

  let started = null;

  async function start() {
    const page = settings();
    if (!page) throw new Error("this page has no live-code settings");
    const server = ownServer();
    say(server ? `Live code: connecting to ${new URL(server.baseUrl).host}…` : "Live code: starting a Binder kernel (this can take minutes)…", "starting");
    markCells();
    if (typeof window.thebe === "undefined" || !window.thebe.bootstrap) {
      await load("link", { rel: "stylesheet", href: new URL("thebe/thebe.css", HERE).href });
      await load("script", { src: new URL("thebe/index.js", HERE).href });
    }
    await loadBokehJS(page.bokehjs);
    window.thebe.on("status", (_event, data) => {
      if (data.subject === "session" && data.status === "ready") say("Live code: ready, run any cell", "ready");
    });
    window.thebe.on("error", (_event, data) => say(`Live code: ${data.message}`, "error"));
    const options = {
      requestKernel: true,
      useBinder: !server,
      binderOptions: page.binder,
      kernelOptions: { kernelName: page.kernel || "python3", path: page.path },
      // thebe would fetch MathJax from a CDN to render LaTeX output: leave it plain
      mathjaxUrl: "",
      mountStatusWidget: false,
      mountActivateWidget: false,
      codeMirrorConfig: { mode: "python" },
    };
    if (server) options.serverSettings = server;
    const { session } = await window.thebe.bootstrap(options);
    if (!session) throw new Error("the server started no kernel");
    say("Live code: ready, run any cell", "ready");
    return session;
  }

  /** Called by sphinx-book-theme's "Live Code" button (initThebeSBT); starts once. */
  window.initThebe = () => {
    if (!started) {
      started = start().catch((error) => {
        say(`Live code failed: ${error && error.message ? error.message : error}`, "error");
        started = null;
        throw error;
      });
    }
    return started;
  };
})();
