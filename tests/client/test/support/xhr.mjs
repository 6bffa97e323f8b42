// A minimal XMLHttpRequest over node:http, so that the official grpc-web runtime (written for
// browsers, where it uses XHR) runs unchanged in Node. It implements what goog.net.XhrIo uses:
// open/setRequestHeader/send/abort, readyState with a readystatechange per received chunk (text mode
// decodes responseText progressively, which is how streamed messages reach the application),
// status, response headers, and load/error/abort/timeout events. No keep-alive: every request has
// its own connection, like a fresh browser tab, so no test depends on connection reuse timing.
import http from "node:http";

const agent = new http.Agent({ keepAlive: false });

export class NodeXMLHttpRequest {
  static UNSENT = 0;
  static OPENED = 1;
  static HEADERS_RECEIVED = 2;
  static LOADING = 3;
  static DONE = 4;

  constructor() {
    this.readyState = 0;
    this.status = 0;
    this.statusText = "";
    this.responseText = "";
    this.responseType = "";
    this.withCredentials = false;
    this.timeout = 0;
    this.onreadystatechange = null;
    this.requestHeaders = {};
    this.responseHeaders = {};
    this.listeners = new Map();
    this.request = null;
    this.aborted = false;
  }

  get response() {
    return this.responseText;
  }

  addEventListener(type, listener) {
    if (!this.listeners.has(type)) this.listeners.set(type, new Set());
    this.listeners.get(type).add(listener);
  }

  removeEventListener(type, listener) {
    this.listeners.get(type)?.delete(listener);
  }

  dispatch(type) {
    const event = { type, target: this, currentTarget: this };
    const handler = this["on" + type];
    if (typeof handler === "function") handler.call(this, event);
    for (const listener of this.listeners.get(type) ?? []) listener.call(this, event);
  }

  setState(state) {
    this.readyState = state;
    this.dispatch("readystatechange");
  }

  open(method, url) {
    this.method = method;
    this.url = url;
    this.setState(1);
  }

  setRequestHeader(name, value) {
    this.requestHeaders[name] = value;
  }

  getResponseHeader(name) {
    const value = this.responseHeaders[name.toLowerCase()];
    if (value === undefined) return null;
    return Array.isArray(value) ? value.join(", ") : value;
  }

  getAllResponseHeaders() {
    return Object.entries(this.responseHeaders)
      .map(([name, value]) => `${name}: ${Array.isArray(value) ? value.join(", ") : value}\r\n`)
      .join("");
  }

  send(body) {
    const payload = body == null ? undefined : typeof body === "string" ? body : Buffer.from(body);
    this.request = http.request(this.url, { method: this.method, headers: this.requestHeaders, agent });
    if (this.timeout > 0) {
      this.request.setTimeout(this.timeout, () => {
        this.request.destroy();
        this.setState(4);
        this.dispatch("timeout");
      });
    }
    this.request.on("response", (response) => {
      this.status = response.statusCode;
      this.statusText = response.statusMessage;
      this.responseHeaders = response.headers;
      this.setState(2);
      response.setEncoding("latin1");
      response.on("data", (chunk) => {
        if (this.aborted) return;
        this.responseText += chunk;
        this.setState(3);
        this.dispatch("progress");
      });
      response.on("end", () => {
        if (this.aborted) return;
        this.setState(4);
        this.dispatch("load");
        this.dispatch("loadend");
      });
      response.on("error", () => this.fail());
    });
    this.request.on("error", () => this.fail());
    this.request.end(payload);
  }

  fail() {
    if (this.aborted || this.readyState === 4) return;
    this.status = 0;
    this.setState(4);
    this.dispatch("error");
    this.dispatch("loadend");
  }

  abort() {
    this.aborted = true;
    this.request?.destroy();
    if (this.readyState !== 0 && this.readyState !== 4) {
      this.readyState = 4;
      this.dispatch("readystatechange");
      this.dispatch("abort");
    }
    this.readyState = 0;
  }
}

// Installs the shim as the global XMLHttpRequest (what grpc-web looks for).
export function installXhr() {
  globalThis.XMLHttpRequest = NodeXMLHttpRequest;
}
