// Browser-style clients against edfleet-gateway and real upstream services (started by
// edfleet-gateway-testbed): Connect's gRPC-Web transport (binary) and the official grpc-web runtime
// (text mode). One test bed for the whole file; the tests run in order.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";

import { Code, ConnectError } from "@connectrpc/connect";
import { create, toBinary } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";

import { AnalyticsService } from "../gen/edfleet/analytics/v1/analytics_pb.js";
import { EventSchema } from "../gen/edfleet/events/v1/event_pb.js";
import { GatewayAdmin } from "../gen/edfleet/gateway/v1/gateway_pb.js";
import { IngestService, PublishRequestSchema, RejectReason } from "../gen/edfleet/ingest/v1/ingest_pb.js";
import { NotifyService } from "../gen/edfleet/notify/v1/notify_pb.js";
import { RulesService } from "../gen/edfleet/rules/v1/rules_pb.js";
import { SummariesService } from "../gen/edfleet/summaries/v1/summaries_pb.js";
import { Health, HealthCheckResponse_ServingStatus as Serving } from "../gen/grpc/health/v1/health_pb.js";
import { connectClient, descriptor, grpcWebStatus, grpcWebTextClient, textUnary } from "./support/clients.mjs";
import { claims, hs256, rs256, signJwt } from "./support/jwt.mjs";
import { startTestbed } from "./support/testbed.mjs";
import { xapiSuite } from "./xapi.mjs";

let testbed;
let info;
let gateway;
let admin;  // the admin listener: /metrics, /readyz

before(async () => {
  testbed = await startTestbed();
  info = testbed.info;
  gateway = info.gateway.http;
  admin = info.gateway.admin;
});

after(async () => {
  await testbed?.stop();
});

// --- helpers --------------------------------------------------------------------------------------

const bearer = (label) => ({ authorization: `Bearer ${info.keys[label].key}` });
const today = () => new Date().toISOString().slice(0, 10);

function quizEvent(overrides = {}) {
  return {
    id: randomUUID(),
    type: "quiz.submitted",
    source: "lms.client-tests.example",
    subject: { learnerId: "learner-" + randomUUID().slice(0, 8) },
    occurredAt: timestampFromDate(new Date()),
    payload: { case: "quizSubmission", value: { quizId: "quiz-1", attemptId: "a-1", score: 7, maxScore: 10, passed: true } },
    ...overrides,
  };
}

async function connectCode(promise) {
  try {
    await promise;
    return Code[0] ?? "OK";
  } catch (error) {
    assert.ok(error instanceof ConnectError, `not a ConnectError: ${error}`);
    return error;
  }
}

// The error of a call that must fail, from either client.
async function failure(promise) {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  assert.fail("the call succeeded");
}

async function quizCount(label) {
  const client = connectClient(AnalyticsService, gateway, bearer(label));
  const response = await client.getEventCounts({ fromDay: today(), toDay: today(), types: ["quiz.submitted"] });
  return Number(response.total);
}

async function eventually(condition, { timeoutMs = 15_000, intervalMs = 100 } = {}) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await condition()) return;
    if (Date.now() > deadline) assert.fail("condition not met in time");
    await sleep(intervalMs);
  }
}

async function metric(name) {
  const text = await (await fetch(`${admin}/metrics`)).text();
  const line = text.split("\n").find((l) => l.startsWith(name + " ") || l.startsWith(name + "{"));
  return line ? Number(line.split(" ").pop()) : undefined;
}

function rawPost(path, body, headers) {
  return fetch(gateway + path, { method: "POST", body, headers });
}

// --- gRPC-Web: unary and streaming, both clients ---------------------------------------------------

describe("unary calls reach real upstreams", () => {
  it("Connect (binary): IngestService.Publish, then AnalyticsService.GetEventCounts sees the events", async () => {
    const before = await quizCount("acme_service");
    const ingest = connectClient(IngestService, gateway, bearer("acme_service"));
    const response = await ingest.publish({ events: [quizEvent(), quizEvent(), quizEvent()] });
    assert.equal(response.accepted, 3, JSON.stringify(response.results));
    await eventually(async () => (await quizCount("acme_service")) === before + 3);
  });

  it("grpc-web (text): the same two calls", async () => {
    const before = await quizCount("acme_service");
    const response = await textUnary(gateway, IngestService, "Publish", { events: [quizEvent(), quizEvent()] },
                                     bearer("acme_service"));
    assert.equal(response.accepted, 2);
    await eventually(async () => {
      const counts = await textUnary(gateway, AnalyticsService, "GetEventCounts",
                                     { fromDay: today(), toDay: today(), types: ["quiz.submitted"] }, bearer("acme_service"));
      return Number(counts.total) === before + 2;
    });
  });
});

describe("every public RPC is reachable, in binary and text mode", () => {
  const services = [AnalyticsService, IngestService, RulesService, SummariesService, NotifyService, GatewayAdmin];
  // What counts as "reached the upstream": OK, or a status the upstream itself gives for an empty
  // request (invalid argument, not found, not implemented yet...). Never a routing failure.
  const upstreamCodes = ["OK", "INVALID_ARGUMENT", "NOT_FOUND", "UNIMPLEMENTED", "FAILED_PRECONDITION"];
  const routingFailure = /unknown service|no address|no route/;

  for (const service of services) {
    for (const method of service.methods) {
      it(`${service.typeName}/${method.name}`, async () => {
        const auth = bearer("acme_admin");
        // Connect, binary.
        const client = connectClient(service, gateway, auth);
        let binaryCode = "OK";
        let binaryMessage = "";
        try {
          if (method.methodKind === "server_streaming") {
            for await (const _ of client[method.localName]({})) break;
          } else {
            await client[method.localName]({});
          }
        } catch (error) {
          binaryCode = Code[error.code].replace(/([a-z])([A-Z])/g, "$1_$2").toUpperCase();
          binaryMessage = error.rawMessage;
        }
        assert.ok(upstreamCodes.includes(binaryCode), `binary: ${binaryCode} ${binaryMessage}`);
        assert.doesNotMatch(binaryMessage, routingFailure);

        // grpc-web, text.
        let textCode = grpcWebStatus.OK;
        let textMessage = "";
        if (method.methodKind === "server_streaming") {
          const stream = grpcWebTextClient().serverStreaming(`${gateway}/${service.typeName}/${method.name}`, {}, auth,
                                                             descriptor(service, method.name));
          await new Promise((resolve) => {
            stream.on("error", (error) => { textCode = error.code; textMessage = error.message; resolve(); });
            stream.on("data", () => { stream.cancel(); resolve(); });
            stream.on("end", resolve);
          });
        } else {
          try {
            await textUnary(gateway, service, method.name, {}, auth);
          } catch (error) {
            textCode = error.code;
            textMessage = error.message;
          }
        }
        const textName = Object.keys(grpcWebStatus).find((k) => grpcWebStatus[k] === textCode);
        assert.ok(upstreamCodes.includes(textName), `text: ${textName} ${textMessage}`);
        assert.equal(textName, binaryCode, "both modes give the same answer");
        assert.doesNotMatch(textMessage, routingFailure);
      });
    }
  }
});

describe("a long server stream (grpc.health.v1.Health/Watch on the demo upstream)", () => {
  it("Connect (binary): each message arrives as it is sent, and idle timers do not cut the stream", async () => {
    const client = connectClient(Health, gateway, bearer("acme_admin"));
    const abort = new AbortController();
    const stream = client.watch({}, { signal: abort.signal })[Symbol.asyncIterator]();
    try {
      assert.equal((await stream.next()).value.status, Serving.SERVING);
      // Longer than the gateway's HTTP read, write and keep-alive timeouts (1 s in the test bed).
      await sleep(2500);
      await testbed.command("demo not_serving");
      assert.equal((await stream.next()).value.status, Serving.NOT_SERVING);
      await sleep(1500);
      await testbed.command("demo serving");
      assert.equal((await stream.next()).value.status, Serving.SERVING);
    } finally {
      abort.abort();
    }
    // The client went away: the gateway cancels the upstream call and frees the stream.
    await eventually(async () => (await metric("edfleet_gateway_active_streams")) === 0);
  });

  it("grpc-web (text): the same stream, decoded chunk by chunk", async () => {
    const stream = grpcWebTextClient().serverStreaming(`${gateway}/grpc.health.v1.Health/Watch`, {},
                                                       bearer("acme_admin"), descriptor(Health, "Watch"));
    const received = [];
    const waiters = [];
    stream.on("data", (message) => {
      received.push(message.status);
      waiters.shift()?.();
    });
    const next = (count) => (received.length >= count ? Promise.resolve() : new Promise((resolve) => waiters.push(resolve)));
    try {
      await next(1);
      assert.deepEqual(received, [Serving.SERVING]);
      await sleep(2500);
      await testbed.command("demo not_serving");
      await next(2);
      await testbed.command("demo serving");
      await next(3);
      assert.deepEqual(received, [Serving.SERVING, Serving.NOT_SERVING, Serving.SERVING]);
    } finally {
      stream.cancel();
    }
    await eventually(async () => (await metric("edfleet_gateway_active_streams")) === 0);
  });

  it("errors before any message are trailers-only responses (StreamAlerts is not implemented upstream)", async () => {
    const response = await rawPost("/edfleet.notify.v1.NotifyService/StreamAlerts",
                                   Buffer.from([0, 0, 0, 0, 0]),
                                   { "content-type": "application/grpc-web+proto", ...bearer("acme_admin") });
    assert.equal(response.status, 200);
    assert.equal(response.headers.get("grpc-status"), "12");
    assert.match(decodeURIComponent(response.headers.get("grpc-message")), /not implemented yet/);
    assert.equal((await response.arrayBuffer()).byteLength, 0);
  });

  it("the concurrency limit refuses streams beyond it with RESOURCE_EXHAUSTED", async () => {
    const limit = info.limits.max_streams;
    const aborts = [];
    const streams = [];
    try {
      // One stream at a time: a burst of connections overflows the gateway's listen backlog
      // (cpp-httplib's 5), which delays some by a SYN retransmit (1 s) and can exceed the test bed's
      // 1 s read timeout. Bursts are not what this test is about.
      for (let i = 0; i < limit; i++) {
        const abort = new AbortController();
        aborts.push(abort);
        const iterator = connectClient(Health, gateway, bearer("acme_admin")).watch({}, { signal: abort.signal })[
          Symbol.asyncIterator]();
        streams.push(iterator);
        assert.equal((await iterator.next()).value.status, Serving.SERVING);
      }
      const error = await failure(connectClient(AnalyticsService, gateway, bearer("acme_admin")).getEventCounts({}));
      assert.equal(error.code, Code.ResourceExhausted);
      assert.match(error.rawMessage, /too many concurrent calls/);
    } finally {
      for (const abort of aborts) abort.abort();
    }
    await eventually(async () => (await metric("edfleet_gateway_active_streams")) === 0);
    await connectClient(AnalyticsService, gateway, bearer("acme_admin")).getEventCounts({});
  });
});

// --- CORS ----------------------------------------------------------------------------------------

describe("CORS", () => {
  it("answers a preflight from an allowed origin, reflecting the requested headers", async () => {
    const response = await fetch(`${gateway}/edfleet.analytics.v1.AnalyticsService/GetEventCounts`, {
      method: "OPTIONS",
      headers: {
        origin: info.cors.allowed_origin,
        "access-control-request-method": "POST",
        "access-control-request-headers": "content-type,x-grpc-web,authorization,x-user-agent",
      },
    });
    assert.equal(response.status, 204);
    assert.equal(response.headers.get("access-control-allow-origin"), info.cors.allowed_origin);
    assert.equal(response.headers.get("access-control-allow-methods"), "POST, OPTIONS");
    assert.equal(response.headers.get("access-control-allow-headers"), "content-type, x-grpc-web, authorization, x-user-agent");
    assert.equal(response.headers.get("access-control-allow-credentials"), "true");
  });

  it("refuses a preflight from another origin", async () => {
    const response = await fetch(`${gateway}/edfleet.analytics.v1.AnalyticsService/GetEventCounts`, {
      method: "OPTIONS",
      headers: { origin: "http://evil.example", "access-control-request-method": "POST" },
    });
    assert.equal(response.status, 403);
    assert.equal(response.headers.get("access-control-allow-origin"), null);
  });

  it("exposes the gRPC status headers to allowed origins on actual responses", async () => {
    const response = await rawPost("/edfleet.analytics.v1.AnalyticsService/GetEventCounts", Buffer.from([0, 0, 0, 0, 0]),
                                   { "content-type": "application/grpc-web+proto", origin: info.cors.allowed_origin });
    assert.equal(response.headers.get("access-control-allow-origin"), info.cors.allowed_origin);
    const exposed = response.headers.get("access-control-expose-headers");
    for (const name of ["grpc-status", "grpc-message", "grpc-status-details-bin"]) assert.match(exposed, new RegExp(name));
    const other = await rawPost("/edfleet.analytics.v1.AnalyticsService/GetEventCounts", Buffer.from([0, 0, 0, 0, 0]),
                                { "content-type": "application/grpc-web+proto", origin: "http://evil.example" });
    assert.equal(other.headers.get("access-control-allow-origin"), null);
  });
});

// --- authentication and authorization --------------------------------------------------------------

describe("authentication (401 / UNAUTHENTICATED) and roles (403 / PERMISSION_DENIED)", () => {
  const analytics = (headers) => connectClient(AnalyticsService, gateway, headers).getEventCounts({});

  it("refuses missing, malformed, wrong and revoked API keys", async () => {
    assert.equal((await failure(analytics({}))).code, Code.Unauthenticated);
    assert.equal((await failure(analytics({ authorization: "Bearer efk_123" }))).code, Code.Unauthenticated);
    assert.equal((await failure(analytics({ authorization: "Digest x" }))).code, Code.Unauthenticated);
    const key = info.keys.acme_admin.key;
    const wrong = key.slice(0, -1) + (key.endsWith("A") ? "B" : "A");
    assert.equal((await failure(analytics({ authorization: `Bearer ${wrong}` }))).code, Code.Unauthenticated);
    assert.equal((await failure(analytics(bearer("revoked")))).code, Code.Unauthenticated);
    const text = await failure(textUnary(gateway, AnalyticsService, "GetEventCounts", {}, {}));
    assert.equal(text.code, grpcWebStatus.UNAUTHENTICATED);
  });

  it("accepts an API key as Basic credentials (the xAPI convention)", async () => {
    const [id, secret] = info.keys.acme_admin.key.split(".");
    const basic = Buffer.from(`${id}:${secret}`).toString("base64");
    await analytics({ authorization: `Basic ${basic}` });
  });

  it("accepts HS256 and RS256 JWTs with the right issuer, audience and expiry", async () => {
    const hs = signJwt({ alg: "HS256", kid: info.jwt.hs256.kid }, claims(info), hs256(info.jwt.hs256.secret));
    await analytics({ authorization: `Bearer ${hs}` });
    const rs = signJwt({ alg: "RS256", kid: info.jwt.rs256.kid }, claims(info), rs256(info.jwt.rs256.private_pem));
    await analytics({ authorization: `Bearer ${rs}` });
  });

  it("refuses alg none, algorithm confusion, expired tokens, wrong issuer or audience", async () => {
    const cases = {
      "alg none": signJwt({ alg: "none", kid: info.jwt.hs256.kid }, claims(info), null),
      // HS256 keyed with the RSA public key: the classic algorithm-confusion forgery.
      confusion: signJwt({ alg: "HS256", kid: info.jwt.rs256.kid }, claims(info), hs256(info.jwt.rs256.public_pem)),
      expired: signJwt({ alg: "HS256", kid: info.jwt.hs256.kid }, claims(info, { exp: Math.floor(Date.now() / 1000) - 3600 }),
                       hs256(info.jwt.hs256.secret)),
      issuer: signJwt({ alg: "HS256", kid: info.jwt.hs256.kid }, claims(info, { iss: "https://evil.example" }),
                      hs256(info.jwt.hs256.secret)),
      audience: signJwt({ alg: "HS256", kid: info.jwt.hs256.kid }, claims(info, { aud: "someone-else" }),
                        hs256(info.jwt.hs256.secret)),
      "bad signature": signJwt({ alg: "HS256", kid: info.jwt.hs256.kid }, claims(info), hs256("not the secret at all 0123456789")),
    };
    for (const [name, token] of Object.entries(cases)) {
      const error = await failure(analytics({ authorization: `Bearer ${token}` }));
      assert.equal(error.code, Code.Unauthenticated, name);
    }
  });

  it("refuses methods the caller's roles do not allow", async () => {
    const error = await failure(analytics(bearer("acme_learner")));
    assert.equal(error.code, Code.PermissionDenied);
    const text = await failure(textUnary(gateway, IngestService, "Publish", { events: [] }, bearer("acme_educator")));
    assert.equal(text.code, grpcWebStatus.PERMISSION_DENIED);
    const admin = await failure(connectClient(GatewayAdmin, gateway, bearer("acme_service")).listApiKeys({}));
    assert.equal(admin.code, Code.PermissionDenied);
    const learnerJwt = signJwt({ alg: "HS256", kid: info.jwt.hs256.kid }, claims(info, { roles: ["learner"] }),
                               hs256(info.jwt.hs256.secret));
    assert.equal((await failure(analytics({ authorization: `Bearer ${learnerJwt}` }))).code, Code.PermissionDenied);
  });

  it("HTTP routes answer 401 with WWW-Authenticate and 403", async () => {
    const body = JSON.stringify({ id: randomUUID(), type: "quiz.submitted" });
    const anonymous = await rawPost("/v1/events", body, { "content-type": "application/json" });
    assert.equal(anonymous.status, 401);
    assert.match(anonymous.headers.get("www-authenticate"), /Basic/);
    assert.equal((await anonymous.json()).error.code, "UNAUTHENTICATED");
    const learner = await rawPost("/v1/events", body, { "content-type": "application/json", ...bearer("acme_learner") });
    assert.equal(learner.status, 403);
  });
});

// --- tenant isolation -----------------------------------------------------------------------------

describe("tenant isolation: no request reads or writes another tenant's data", () => {
  it("a tenant's events are invisible to another tenant", async () => {
    const acmeBefore = await quizCount("acme_service");
    const globexBefore = await quizCount("globex_service");
    const ingest = connectClient(IngestService, gateway, bearer("acme_service"));
    assert.equal((await ingest.publish({ events: [quizEvent(), quizEvent()] })).accepted, 2);
    await eventually(async () => (await quizCount("acme_service")) === acmeBefore + 2);
    assert.equal(await quizCount("globex_service"), globexBefore);
  });

  it("naming another tenant in an event is rejected", async () => {
    const ingest = connectClient(IngestService, gateway, bearer("globex_service"));
    const response = await ingest.publish({ events: [quizEvent({ tenant: "acme" })] });
    assert.equal(response.accepted, 0);
    assert.equal(response.results[0].reason, RejectReason.TENANT_MISMATCH);
  });

  it("client-sent internal metadata (x-edfleet-tenant) is dropped, gRPC-Web and HTTP alike", async () => {
    const acmeBefore = await quizCount("acme_service");
    const globexBefore = await quizCount("globex_service");
    const spoofing = { ...bearer("globex_service"), "x-edfleet-tenant": "acme", "x-edfleet-roles": "admin" };
    // Reads: globex, claiming to be acme, still sees globex's numbers.
    const counts = await connectClient(AnalyticsService, gateway, spoofing)
      .getEventCounts({ fromDay: today(), toDay: today(), types: ["quiz.submitted"] });
    assert.equal(Number(counts.total), globexBefore);
    // Writes: the events land in globex, not acme.
    const ingest = connectClient(IngestService, gateway, spoofing);
    assert.equal((await ingest.publish({ events: [quizEvent()] })).accepted, 1);
    const event = quizEvent();
    const http = await rawPost("/v1/events", JSON.stringify({
      id: event.id, type: "quiz.submitted", source: "lms.client-tests.example", subject: event.subject,
      occurredAt: new Date().toISOString(),
      quizSubmission: { quizId: "quiz-1", attemptId: "a-1", score: 7, maxScore: 10, passed: true },
    }), { "content-type": "application/json", ...spoofing });
    assert.equal(http.status, 200, await http.clone().text());
    assert.equal((await http.json()).accepted, 1);
    await eventually(async () => (await quizCount("globex_service")) === globexBefore + 2);
    assert.equal(await quizCount("acme_service"), acmeBefore);
    // A role claimed in metadata grants nothing either.
    assert.equal((await failure(connectClient(GatewayAdmin, gateway, spoofing).listApiKeys({}))).code, Code.PermissionDenied);
  });

  it("admins manage their own tenant's API keys only", async () => {
    const globex = connectClient(GatewayAdmin, gateway, bearer("globex_admin"));
    assert.equal((await failure(globex.listApiKeys({ tenant: "acme" }))).code, Code.PermissionDenied);
    assert.equal((await failure(globex.createApiKey({ tenant: "acme", name: "x", roles: ["admin"] }))).code,
                 Code.PermissionDenied);
    assert.equal((await failure(globex.revokeApiKey({ id: info.keys.acme_admin.id }))).code, Code.NotFound);
    const own = await globex.listApiKeys({});
    assert.ok(own.keys.length >= 2);
    assert.ok(own.keys.every((key) => key.tenant === "globex"));
    // The acme key still works.
    await connectClient(AnalyticsService, gateway, bearer("acme_admin")).getEventCounts({});
  });

  it("a key created through GatewayAdmin works at once and stops working soon after revocation", async () => {
    const admin = connectClient(GatewayAdmin, gateway, bearer("acme_admin"));
    const created = await admin.createApiKey({ name: "client-tests", roles: ["service"] });
    assert.equal(created.key.tenant, "acme");
    assert.match(created.secret, /^efk_[0-9a-f]{16}\./);
    const fresh = { authorization: `Bearer ${created.secret}` };
    await connectClient(AnalyticsService, gateway, fresh).getEventCounts({});
    const listed = await textUnary(gateway, GatewayAdmin, "ListApiKeys", {}, bearer("acme_admin"));
    assert.ok(listed.keys.some((key) => key.id === created.key.id));
    const revoked = await admin.revokeApiKey({ id: created.key.id });
    assert.ok(revoked.revokedAt);
    await eventually(async () => {
      const outcome = await connectCode(connectClient(AnalyticsService, gateway, fresh).getEventCounts({}));
      return outcome instanceof ConnectError && outcome.code === Code.Unauthenticated;
    }, { timeoutMs: 5000 });
  });
});

// --- protection -----------------------------------------------------------------------------------

describe("protection against overload", () => {
  it("rate-limits per tenant: RESOURCE_EXHAUSTED with retry-after, HTTP 429", async () => {
    // The "tiny" tenant: 0.2 requests/s, burst 3.
    const client = connectClient(AnalyticsService, gateway, bearer("tiny_service"));
    for (let i = 0; i < 3; i++) await client.getEventCounts({});
    const error = await failure(client.getEventCounts({}));
    assert.equal(error.code, Code.ResourceExhausted);
    assert.match(error.rawMessage, /tenant/);
    const raw = await rawPost("/edfleet.analytics.v1.AnalyticsService/GetEventCounts", Buffer.from([0, 0, 0, 0, 0]),
                              { "content-type": "application/grpc-web+proto", ...bearer("tiny_service") });
    assert.equal(raw.headers.get("grpc-status"), "8");
    assert.ok(Number(raw.headers.get("retry-after")) >= 1);
    const http = await rawPost("/v1/events", "[]", { "content-type": "application/json", ...bearer("tiny_service") });
    assert.equal(http.status, 429);
    assert.ok(Number(http.headers.get("retry-after")) >= 1);
    // Other tenants are unaffected.
    await connectClient(AnalyticsService, gateway, bearer("globex_service")).getEventCounts({});
  });

  it("rate-limits per key, leaving the tenant's other keys alone", async () => {
    // "slow_service": 0.2 requests/s, burst 2, in tenant acme.
    const slow = connectClient(AnalyticsService, gateway, bearer("slow_service"));
    await slow.getEventCounts({});
    await slow.getEventCounts({});
    const error = await failure(textUnary(gateway, AnalyticsService, "GetEventCounts", {}, bearer("slow_service")));
    assert.equal(error.code, grpcWebStatus.RESOURCE_EXHAUSTED);
    assert.match(error.message, /key/);
    await connectClient(AnalyticsService, gateway, bearer("acme_service")).getEventCounts({});
  });

  it("an unavailable upstream gives UNAVAILABLE quickly, never a hang", async () => {
    const started = Date.now();
    const response = await rawPost("/edfleet.down.v1.DownService/Anything", Buffer.from([0, 0, 0, 0, 0]),
                                   { "content-type": "application/grpc-web+proto", ...bearer("acme_admin") });
    assert.equal(response.headers.get("grpc-status"), "14");
    assert.ok(Date.now() - started < 1000, `took ${Date.now() - started} ms`);
    const ready = await fetch(`${admin}/readyz`);
    assert.equal(ready.status, 503);
    const body = await ready.json();
    assert.equal(body.upstreams.down, "UNAVAILABLE");
    assert.equal(body.upstreams.analytics, "SERVING");
  });

  it("oversize, malformed and compressed requests get a clean status", async () => {
    const grpcWeb = { "content-type": "application/grpc-web+proto", ...bearer("acme_admin") };
    const text = { "content-type": "application/grpc-web-text", ...bearer("acme_admin") };
    const path = "/edfleet.analytics.v1.AnalyticsService/GetEventCounts";
    // A message over the test bed's 64 KiB limit, sent by a real client.
    const big = quizEvent({ source: "x".repeat(70_000) });
    const tooBig = await failure(connectClient(IngestService, gateway, bearer("acme_service")).publish({ events: [big] }));
    assert.equal(tooBig.code, Code.ResourceExhausted);
    const truncated = await rawPost(path, Buffer.from([0, 0, 0, 0, 9, 1, 2]), grpcWeb);
    assert.equal(truncated.headers.get("grpc-status"), "13");
    const compressed = await rawPost(path, Buffer.from([1, 0, 0, 0, 0]), grpcWeb);
    assert.equal(compressed.headers.get("grpc-status"), "12");
    const badBase64 = await rawPost(path, "AAAA*AAA", text);
    assert.equal(badBase64.headers.get("grpc-status"), "13");
    const unknown = await rawPost("/edfleet.nothing.v1.Nope/Call", Buffer.from([0, 0, 0, 0, 0]), grpcWeb);
    assert.equal(unknown.headers.get("grpc-status"), "12");
    assert.match(decodeURIComponent(unknown.headers.get("grpc-message")), /unknown service/);
    const wrongType = await rawPost(path, "{}", { "content-type": "application/json", ...bearer("acme_admin") });
    assert.equal(wrongType.status, 415);
    // Padding mid-stream in a text request body: two base64 strings back to back.
    const request = toBinary(PublishRequestSchema, create(PublishRequestSchema, { events: [] }));
    const framed = Buffer.concat([Buffer.from([0, 0, 0, 0, request.length]), Buffer.from(request)]);
    const body = framed.subarray(0, 4).toString("base64") + framed.subarray(4).toString("base64");
    assert.match(body, /=.+/);
    const padded = await rawPost("/edfleet.ingest.v1.IngestService/Publish", body, text);
    assert.equal(padded.status, 200);
    // The response is text too: one padded base64 string per flush (Node's decoder stops at padding).
    const segments = (await padded.text()).split(/(?<==)(?=[^=])/);
    const decoded = Buffer.concat(segments.map((segment) => Buffer.from(segment, "base64"))).toString("latin1");
    assert.match(decoded, /grpc-status: 0/);
  });
});

describe("HTTP routes", () => {
  it("POST /v1/events reaches ingest with the caller's tenant", async () => {
    const before = await quizCount("acme_service");
    const event = quizEvent();
    const response = await rawPost("/v1/events", JSON.stringify([{
      id: event.id, type: "quiz.submitted", source: "lms.client-tests.example", subject: event.subject,
      occurredAt: new Date().toISOString(),
      quizSubmission: { quizId: "quiz-1", attemptId: "a-1", score: 7, maxScore: 10, passed: true },
    }]), { "content-type": "application/json", ...bearer("acme_service") });
    assert.equal(response.status, 200);
    assert.equal((await response.json()).accepted, 1);
    await eventually(async () => (await quizCount("acme_service")) === before + 1);
  });

  it("/healthz and /metrics; /metrics and /readyz only on the admin listener", async () => {
    assert.equal(await (await fetch(`${gateway}/healthz`)).text(), "ok");
    // The public port tells an outsider nothing about the fleet's insides.
    assert.equal((await fetch(`${gateway}/metrics`)).status, 404);
    assert.equal((await fetch(`${gateway}/readyz`)).status, 404);
    const metrics = await (await fetch(`${admin}/metrics`)).text();
    assert.match(metrics, /edfleet_gateway_requests_total\{code="OK",kind="grpc_web",target="edfleet.analytics.v1.AnalyticsService"\}/);
    assert.match(metrics, /edfleet_gateway_rejections_total\{reason="rate_limited_tenant"\}/);
  });
});

// --- the xAPI LRS (test/xapi.mjs) --------------------------------------------------------------------

xapiSuite(() => ({ gateway, info }));
