// fetch as a web page on another origin sees it: Node's fetch does not apply CORS, so browserFetch
// does what a browser does per the Fetch standard — a preflight when the method or a header is not
// CORS-safelisted (its answer checked: status, origin, credentials, methods, headers), the actual
// request with `Origin`, the response refused when it does not allow the origin, and only the
// safelisted and exposed response headers readable. A CORS failure throws a TypeError, as in a
// browser, with the reasons (a browser only logs them).

const SAFELISTED_METHODS = new Set(["GET", "HEAD", "POST"]);
const SIMPLE_CONTENT_TYPES = new Set(["application/x-www-form-urlencoded", "multipart/form-data", "text/plain"]);
const SAFELISTED_RESPONSE_HEADERS = new Set(["cache-control", "content-language", "content-length", "content-type",
                                             "expires", "last-modified", "pragma"]);

const list = (value) => (value ?? "").split(",").map((item) => item.trim().toLowerCase()).filter(Boolean);

function isSafelistedRequestHeader(name, value) {
  switch (name) {
    case "accept":
    case "accept-language":
    case "content-language":
      return true;
    case "content-type":
      return SIMPLE_CONTENT_TYPES.has(value.split(";")[0].trim().toLowerCase());
    default:
      return false;
  }
}

// The header names a preflight asks for: the unsafe ones, lower-case, sorted, as browsers send them.
export function unsafeRequestHeaders(headers) {
  return Object.entries(headers)
    .map(([name, value]) => [name.toLowerCase(), String(value)])
    .filter(([name, value]) => !isSafelistedRequestHeader(name, value))
    .map(([name]) => name)
    .sort();
}

// What is wrong with a preflight answer for `method` + `headers` (empty when a browser would go on).
// Credentials mode "include" (what xAPI players using withCredentials need) is assumed, which rules
// out "*" in every Access-Control-Allow-* header; "authorization" is never covered by "*" anyway.
export function preflightProblems(response, { origin, method, headers }) {
  const problems = [];
  const get = (name) => response.headers.get(name);
  if (response.status < 200 || response.status > 299) problems.push(`preflight status ${response.status}`);
  if (get("access-control-allow-origin") !== origin) {
    problems.push(`Access-Control-Allow-Origin is ${get("access-control-allow-origin")}, not ${origin}`);
  }
  if (get("access-control-allow-credentials") !== "true") problems.push("Access-Control-Allow-Credentials is not true");
  const methods = list(get("access-control-allow-methods"));
  if (!SAFELISTED_METHODS.has(method) && !methods.includes(method.toLowerCase())) {
    problems.push(`method ${method} not in Access-Control-Allow-Methods: ${get("access-control-allow-methods")}`);
  }
  const allowed = list(get("access-control-allow-headers"));
  for (const name of headers) {
    if (!allowed.includes(name)) problems.push(`header ${name} not in Access-Control-Allow-Headers: ${allowed}`);
  }
  return problems;
}

// A response as a page's script sees it: status, body, and only the headers it may read.
function visibleResponse(response, body) {
  const exposed = new Set(list(response.headers.get("access-control-expose-headers")));
  const headers = new Headers();
  for (const [name, value] of response.headers) {
    if (SAFELISTED_RESPONSE_HEADERS.has(name) || exposed.has(name)) headers.append(name, value);
  }
  return {
    status: response.status,
    headers,
    body,
    json: () => JSON.parse(body),
  };
}

// fetch(url, init) from a page at `origin` with credentials mode "include". `init.headers` is a plain
// object. Answers {status, headers (readable ones only), body (text), json()}.
export async function browserFetch(url, { origin, method = "GET", headers = {}, body } = {}) {
  const unsafe = unsafeRequestHeaders(headers);
  if (!SAFELISTED_METHODS.has(method) || unsafe.length > 0) {
    const preflight = await fetch(url, {
      method: "OPTIONS",
      headers: {
        origin,
        "access-control-request-method": method,
        ...(unsafe.length > 0 ? { "access-control-request-headers": unsafe.join(",") } : {}),
      },
    });
    await preflight.arrayBuffer();
    const problems = preflightProblems(preflight, { origin, method, headers: unsafe });
    if (problems.length > 0) throw new TypeError(`CORS preflight for ${method} ${url} failed: ${problems.join("; ")}`);
  }
  const response = await fetch(url, { method, headers: { ...headers, origin }, body });
  const text = await response.text();
  if (response.headers.get("access-control-allow-origin") !== origin ||
      response.headers.get("access-control-allow-credentials") !== "true") {
    throw new TypeError(`CORS: the ${response.status} response to ${method} ${url} does not allow ${origin}`);
  }
  return visibleResponse(response, text);
}
