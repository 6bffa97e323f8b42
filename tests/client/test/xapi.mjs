// The xAPI LRS under /xapi/ as a browser xAPI client (an LMS content player on another origin) uses
// it: plain fetch with the CORS rules applied (support/browser.mjs), HTTP Basic with an API key
// (user = key id, password = secret), X-Experience-API-Version on every request. Registered by
// gateway.test.mjs, whose test bed serves the LRS (ingest behind the gateway, keys acme_lrs_writer
// and acme_lrs_reader). Ingest materialises statements asynchronously: reads poll, with a bound.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";

import { browserFetch, preflightProblems, unsafeRequestHeaders } from "./support/browser.mjs";

const VERSION = "1.0.3";

// `bed()` answers {gateway, info} once the test bed runs.
export function xapiSuite(bed) {
  const origin = () => bed().info.cors.allowed_origin;
  const url = (path) => new URL(path, bed().gateway).href;

  // Basic credentials of a test-bed key, the LRS convention: key id as user, secret as password.
  function basic(label) {
    const whole = bed().info.keys[label].key;  // efk_<id>.<secret>
    const dot = whole.indexOf(".");
    assert.equal(whole.slice(0, dot), bed().info.keys[label].id);
    return "Basic " + Buffer.from(`${whole.slice(0, dot)}:${whole.slice(dot + 1)}`).toString("base64");
  }

  // A request from the player's page. `as`: a key label, or nothing for no credentials.
  function lrs(path, { as, method = "GET", headers = {}, body } = {}) {
    return browserFetch(url(path), {
      origin: origin(),
      method,
      headers: {
        "X-Experience-API-Version": VERSION,
        ...(as ? { Authorization: basic(as) } : {}),
        ...(body !== undefined ? { "Content-Type": "application/json" } : {}),
        ...headers,
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  }

  // Polls `attempt` until it answers something other than undefined; fails after `timeoutMs`.
  async function until(what, attempt, { timeoutMs = 10_000, intervalMs = 25 } = {}) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await attempt();
      if (value !== undefined) return value;
      if (Date.now() > deadline) assert.fail(`${what}: not within ${timeoutMs} ms`);
      await sleep(intervalMs);
    }
  }

  const statement = (mbox, activity = "https://lms.example.com/course/algebra-1") => ({
    actor: { objectType: "Agent", mbox, name: "Ada" },
    verb: { id: "http://adlnet.gov/expapi/verbs/completed", display: { "en-US": "completed" } },
    object: { objectType: "Activity", id: activity },
  });
  const learner = () => `mailto:learner-${randomUUID()}@example.com`;

  // An xAPI timestamp (ISO 8601) close to now: the watermark is "now" or just before a pending write.
  function assertRecentTimestamp(text, what) {
    assert.ok(text, `${what} is not readable by the page`);
    const time = Date.parse(text);
    assert.ok(Number.isFinite(time), `${what} is not a timestamp: ${text}`);
    assert.ok(Math.abs(Date.now() - time) < 5 * 60_000, `${what} is not recent: ${text}`);
  }

  describe("the xAPI LRS from a browser (plain fetch, CORS applied, HTTP Basic API keys)", () => {
    it("/xapi/about answers without credentials", async () => {
      const about = await browserFetch(url("/xapi/about"), { origin: origin() });  // a simple request: no preflight
      assert.equal(about.status, 200, about.body);
      assert.deepEqual(about.json().version, ["1.0.3", "2.0.0"]);
      assert.equal(about.headers.get("x-experience-api-version"), "2.0.0");
      const asked = await lrs("/xapi/about");  // with the version header: preflighted
      assert.equal(asked.status, 200);
      // Ingest answers About with its latest version whatever the request says; any listed one is valid.
      assert.ok(about.json().version.includes(asked.headers.get("x-experience-api-version")));
    });

    it("a preflight for PUT with X-Experience-API-Version and Authorization allows what the page needs", async () => {
      const headers = unsafeRequestHeaders({ "X-Experience-API-Version": VERSION, Authorization: "Basic x",
                                             "Content-Type": "application/json", "If-Match": "\"e\"" });
      assert.deepEqual(headers, ["authorization", "content-type", "if-match", "x-experience-api-version"]);
      const path = "/xapi/activities/state?stateId=bookmark";
      const preflight = (from, method) => fetch(url(path), {
        method: "OPTIONS",
        headers: { origin: from, "access-control-request-method": method,
                   "access-control-request-headers": headers.join(",") },
      });
      for (const method of ["PUT", "POST", "GET", "DELETE"]) {
        const answer = await preflight(origin(), method);
        assert.deepEqual(preflightProblems(answer, { origin: origin(), method, headers }), [], method);
        assert.ok(Number(answer.headers.get("access-control-max-age")) > 0, "preflights are not cached");
      }
      const refused = await preflight("http://evil.example", "PUT");
      assert.equal(refused.status, 403);
      assert.equal(refused.headers.get("access-control-allow-origin"), null);

      // Actual responses expose the LRS's headers to scripts (ETag and Last-Modified for documents,
      // the version, the consistency watermark); another origin's response is unreadable.
      const response = await fetch(url("/xapi/statements?limit=1"), {
        headers: { origin: origin(), "x-experience-api-version": VERSION, authorization: basic("acme_lrs_reader") },
      });
      assert.equal(response.status, 200);
      const exposed = (response.headers.get("access-control-expose-headers") ?? "").toLowerCase().split(/\s*,\s*/);
      for (const name of ["etag", "x-experience-api-version", "x-experience-api-consistent-through", "www-authenticate"]) {
        assert.ok(exposed.includes(name), `${name} is not exposed: ${exposed}`);
      }
      await assert.rejects(browserFetch(url("/xapi/about"), { origin: "http://evil.example" }), TypeError);
    });

    it("without credentials: 401, readable by the page, with WWW-Authenticate", async () => {
      const refused = await lrs("/xapi/statements", { method: "POST", body: statement(learner()) });
      assert.equal(refused.status, 401, refused.body);
      assert.equal(refused.json().error.code, "UNAUTHENTICATED");
      assert.match(refused.headers.get("www-authenticate"), /^Basic realm=/);
      assert.equal(refused.headers.get("x-experience-api-version"), VERSION);
      const read = await lrs("/xapi/statements?limit=1");
      assert.equal(read.status, 401);
    });

    it("POST a statement with the writer key's Basic credentials, then GET it by statementId", async () => {
      const mbox = learner();
      const posted = await lrs("/xapi/statements", { as: "acme_lrs_writer", method: "POST", body: statement(mbox) });
      assert.equal(posted.status, 200, posted.body);
      const ids = posted.json();
      assert.equal(ids.length, 1);
      assert.match(ids[0], /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      assert.equal(posted.headers.get("x-experience-api-version"), VERSION);
      assertRecentTimestamp(posted.headers.get("x-experience-api-consistent-through"), "Consistent-Through (POST)");

      const path = `/xapi/statements?statementId=${ids[0]}`;
      const found = await until(`statement ${ids[0]} readable`, async () => {
        const r = await lrs(path, { as: "acme_lrs_writer" });
        if (r.status === 404) return undefined;
        assert.equal(r.status, 200, r.body);
        return r;
      });
      const stored = found.json();
      assert.equal(stored.id, ids[0]);
      assert.equal(stored.actor.mbox, mbox);
      assert.equal(stored.verb.id, "http://adlnet.gov/expapi/verbs/completed");
      assert.equal(stored.authority.account.name, `key:${bed().info.keys.acme_lrs_writer.id}`);
      assert.match(stored.authority.account.homePage, /acme/);
      assert.ok(Date.parse(stored.stored) <= Date.now());
      assert.match(found.headers.get("content-type"), /^application\/json/);
      assertRecentTimestamp(found.headers.get("last-modified"), "Last-Modified");
      assertRecentTimestamp(found.headers.get("x-experience-api-consistent-through"), "Consistent-Through (GET)");
      // The reader key reads what the writer wrote (same tenant).
      const read = await lrs(path, { as: "acme_lrs_reader" });
      assert.equal(read.status, 200);
      assert.equal(read.json().id, ids[0]);
    });

    it("a query pages with `more` links, which work against the gateway as given", async () => {
      const mbox = learner();
      const posted = await lrs("/xapi/statements", {
        as: "acme_lrs_writer", method: "POST",
        body: Array.from({ length: 5 }, (_, i) => statement(mbox, `https://lms.example.com/course/unit-${i}`)),
      });
      assert.equal(posted.status, 200, posted.body);
      const ids = new Set(posted.json());
      assert.equal(ids.size, 5);
      const query = `/xapi/statements?agent=${encodeURIComponent(JSON.stringify({ mbox }))}`;
      await until("5 statements in the query", async () => {
        const r = await lrs(query, { as: "acme_lrs_reader" });
        assert.equal(r.status, 200, r.body);
        return r.json().statements.length === 5 ? true : undefined;
      });

      const seen = new Set();
      let page = await lrs(`${query}&limit=2`, { as: "acme_lrs_reader" });
      let pages = 0;
      for (;;) {
        assert.equal(page.status, 200, page.body);
        pages += 1;
        const { statements, more } = page.json();
        assert.ok(statements.length <= 2, `page ${pages} has ${statements.length} statements`);
        for (const s of statements) {
          assert.equal(s.actor.mbox, mbox);  // the filter holds across pages
          assert.ok(!seen.has(s.id), `${s.id} twice`);
          seen.add(s.id);
        }
        if (!more) break;
        assert.match(more, /^\/xapi\/statements\?more=/);
        assert.ok(pages < 5, "more links do not end");
        page = await lrs(more, { as: "acme_lrs_reader" });  // relative to the LRS's host: the gateway
      }
      assert.equal(pages, 3);
      assert.deepEqual([...seen].sort(), [...ids].sort());
    });

    it("a State document: PUT, GET with a readable ETag, If-Match (412 when stale), DELETE", async () => {
      const doc = "/xapi/activities/state?activityId=" + encodeURIComponent("https://lms.example.com/course/algebra-1") +
                  "&agent=" + encodeURIComponent(JSON.stringify({ mbox: learner() })) + "&stateId=bookmark";
      const writer = (options) => lrs(doc, { as: "acme_lrs_writer", ...options });
      const created = await writer({ method: "PUT", body: { page: 7 } });
      assert.equal(created.status, 204, created.body);

      const first = await writer();
      assert.equal(first.status, 200, first.body);
      assert.deepEqual(first.json(), { page: 7 });
      const etag = first.headers.get("etag");
      assert.match(etag ?? "", /^"[^"]+"$/, "the ETag is not readable by the page");

      const stale = await writer({ method: "PUT", headers: { "If-Match": "\"0000\"" }, body: { page: 8 } });
      assert.equal(stale.status, 412, stale.body);
      const updated = await writer({ method: "PUT", headers: { "If-Match": etag }, body: { page: 8 } });
      assert.equal(updated.status, 204, updated.body);
      const second = await writer();
      assert.deepEqual(second.json(), { page: 8 });
      const newEtag = second.headers.get("etag");
      assert.ok(newEtag && newEtag !== etag, `the ETag did not change: ${newEtag}`);
      // The first ETag is now stale: a second player holding it cannot overwrite the update.
      const lost = await writer({ method: "PUT", headers: { "If-Match": etag }, body: { page: 1 } });
      assert.equal(lost.status, 412, lost.body);
      assert.deepEqual((await writer()).json(), { page: 8 });

      const deleted = await writer({ method: "DELETE", headers: { "If-Match": newEtag } });
      assert.equal(deleted.status, 204, deleted.body);
      assert.equal((await writer()).status, 404);
    });

    it("the reader key reads but may not write: 403 naming the role it needs", async () => {
      const denied = await lrs("/xapi/statements", { as: "acme_lrs_reader", method: "POST", body: statement(learner()) });
      assert.equal(denied.status, 403, denied.body);
      const { error } = denied.json();
      assert.equal(error.code, "PERMISSION_DENIED");
      assert.match(error.message, /write to the LRS/);
      assert.ok(error.needed_roles.includes("lrs_writer"), JSON.stringify(error));
      assert.ok(!error.needed_roles.includes("lrs_reader"));
      assert.equal(denied.headers.get("x-experience-api-version"), VERSION);
      const put = await lrs("/xapi/activities/state?activityId=" + encodeURIComponent("https://lms.example.com/a") +
                            "&agent=" + encodeURIComponent(JSON.stringify({ mbox: learner() })) + "&stateId=s",
                            { as: "acme_lrs_reader", method: "PUT", body: { page: 1 } });
      assert.equal(put.status, 403, put.body);
      const read = await lrs("/xapi/statements?limit=1", { as: "acme_lrs_reader" });
      assert.equal(read.status, 200, read.body);
    });
  });
}
