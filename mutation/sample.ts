/**
 * A fixed sample of the reference's mutants that the suite catches today,
 * checked by `deno task test` (`sample_test.ts`): removing or weakening a
 * check that catches one fails CI, long before the nightly mutation run
 * would say so. Each is one expression of the reference replaced, as Stryker
 * wrote it, with the cases that caught it in `deno task mutation`'s report.
 *
 * The server's are switched on in one patched copy of the reference, each by
 * name (`(globalThis.__setchatSampleMutant === name ? replacement : original)`),
 * so that one process judges them all; the widget's are bundled one by one.
 */

/** One mutant of the sample. */
export interface SampleMutant {
  /** A name for messages: the file, the line, what changes. */
  name: string;
  /** The file, from the repository's root. */
  file: string;
  /** Exact text of the file, found exactly once. */
  original: string;
  replacement: string;
  /** Stryker's mutator. */
  mutator: string;
  /** The cases (or browser scenarios) that caught it. */
  caughtBy: string[];
}

/** The global a patched copy reads to know which sample mutant is on. */
export const SWITCH = "__setchatSampleMutant";

/** Replaces each mutant's original text of `source` by a switch between it and its replacement. */
export function switched(source: string, mutants: SampleMutant[]): string {
  const spans = mutants.map((m) => {
    const at = source.indexOf(m.original);
    if (at < 0 || source.indexOf(m.original, at + 1) >= 0) {
      const count = source.split(m.original).length - 1;
      throw new Error(
        `Cannot switch the sample mutant ${m.name}: its text is found ${count} times in ${m.file}, not once`,
      );
    }
    return { m, at, end: at + m.original.length };
  }).sort((a, b) => b.at - a.at);
  for (let i = 1; i < spans.length; i++) {
    if (spans[i]!.end > spans[i - 1]!.at) {
      throw new Error(`Cannot switch the sample mutants ${spans[i]!.m.name} and ${spans[i - 1]!.m.name}: they overlap`);
    }
  }
  let out = source;
  for (const { m, at, end } of spans) {
    const choice = `(globalThis.${SWITCH} === ${JSON.stringify(m.name)} ? (${m.replacement}) : (${m.original}))`;
    out = out.slice(0, at) + choice + out.slice(end);
  }
  return out;
}

/** Replaces the mutant's original text of `source` by its replacement, for a bundle of its own. */
export function applied(source: string, m: SampleMutant): string {
  switched(source, [m]);
  return source.replace(m.original, m.replacement);
}

/** The sample: server mutants judged by the API cases, widget mutants by the browser scenarios. */
export const SAMPLE: SampleMutant[] = [
  {
    name: "app_error:35 LogicalOperator",
    file: "src/domain/app_error.ts",
    original: "options.headers ?? {}",
    replacement: "options.headers && {}",
    mutator: "LogicalOperator",
    caughtBy: ["input-wrong-method"],
  },
  {
    name: "identity:8 ConditionalExpression",
    file: "src/domain/identity.ts",
    original: "request.visitorToken !== undefined",
    replacement: "false",
    mutator: "ConditionalExpression",
    caughtBy: ["token-genuine-accepted"],
  },
  {
    name: "identity:21 StringLiteral",
    file: "src/domain/identity.ts",
    original: '"workspace_mismatch"',
    replacement: '""',
    mutator: "StringLiteral",
    caughtBy: ["ws-bound-token-no-workspace", "ws-bound-token-other-workspace"],
  },
  {
    name: "lifetime:21 StringLiteral",
    file: "src/domain/lifetime.ts",
    original: "`${m}m`",
    replacement: "``",
    mutator: "StringLiteral",
    caughtBy: ["s2s-mint-minimal"],
  },
  {
    name: "lifetime:15 ConditionalExpression",
    file: "src/domain/lifetime.ts",
    original: "seconds === 0",
    replacement: "true",
    mutator: "ConditionalExpression",
    caughtBy: ["s2s-mint-minimal"],
  },
  {
    name: "lifetime:18 ArithmeticOperator",
    file: "src/domain/lifetime.ts",
    original: "(seconds % 3600) / 60",
    replacement: "(seconds % 3600) * 60",
    mutator: "ArithmeticOperator",
    caughtBy: ["s2s-mint-minimal"],
  },
  {
    name: "s2s_rotation:18 EqualityOperator",
    file: "src/domain/s2s_rotation.ts",
    original: "previous.length > 0",
    replacement: "previous.length >= 0",
    mutator: "EqualityOperator",
    caughtBy: ["rot-rotate-revoke"],
  },
  {
    name: "s2s_rotation:20 StringLiteral",
    file: "src/domain/s2s_rotation.ts",
    original: '"rotation_pending"',
    replacement: '""',
    mutator: "StringLiteral",
    caughtBy: ["rot-two-rotations"],
  },
  {
    name: "test_clock:52 ConditionalExpression",
    file: "src/domain/test_clock.ts",
    original: "change.freeze === false && frozenAt !== undefined",
    replacement: "false",
    mutator: "ConditionalExpression",
    caughtBy: ["time-minted-now"],
  },
  {
    name: "visibility:39 ConditionalExpression",
    file: "src/domain/visibility.ts",
    original: "viewer.workspace !== owner.workspace",
    replacement: "false",
    mutator: "ConditionalExpression",
    caughtBy: ["explore", "ws-verified-separate"],
  },
  {
    name: "visibility:41 EqualityOperator",
    file: "src/domain/visibility.ts",
    original: "viewer.externalUserId !== null",
    replacement: "viewer.externalUserId === null",
    mutator: "EqualityOperator",
    caughtBy: ["logout-user-comes-back", "vis-other-site-by-id", "vis-verified-other-device"],
  },
  {
    name: "visitor:49 LogicalOperator",
    file: "src/domain/visitor.ts",
    original: "user.name ?? previous?.name ?? null",
    replacement: "(user.name ?? previous?.name) && null",
    mutator: "LogicalOperator",
    caughtBy: ["custom-data-kept-apart", "custom-data-never-overwritten", "custom-data-prechat"],
  },
  {
    name: "visitor:51 LogicalOperator",
    file: "src/domain/visitor.ts",
    original: "user.externalUserId ?? previous?.externalUserId",
    replacement: "user.externalUserId && previous?.externalUserId",
    mutator: "LogicalOperator",
    caughtBy: ["custom-data-claimed-id-not-verified"],
  },
  {
    name: "app:49 EqualityOperator",
    file: "src/http/app.ts",
    original: "params.tenantId !== undefined",
    replacement: "params.tenantId === undefined",
    mutator: "EqualityOperator",
    caughtBy: ["agent-foreign-conversation", "agent-other-tenant"],
  },
  {
    name: "app:91 ConditionalExpression",
    file: "src/http/app.ts",
    original: 'request.method === "OPTIONS" && found?.routes.some((r) => r.cors)',
    replacement: "false",
    mutator: "ConditionalExpression",
    caughtBy: ["cors-preflight"],
  },
  {
    name: "auth:88 ConditionalExpression",
    file: "src/http/auth.ts",
    original: "!session || !hashesEqual(session.hash, parsed.hash)",
    replacement: "false",
    mutator: "ConditionalExpression",
    caughtBy: ["logout-ends-session", "logout-every-node"],
  },
  {
    name: "auth:54 StringLiteral",
    file: "src/http/auth.ts",
    original: '"auth_unknown"',
    replacement: '""',
    mutator: "StringLiteral",
    caughtBy: ["s2s-auth-unknown"],
  },
  {
    name: "body:164 ConditionalExpression",
    file: "src/http/body.ts",
    original: "result.success",
    replacement: "true",
    mutator: "ConditionalExpression",
    caughtBy: ["conv-ticket-needs-subject", "conv-unknown-kind"],
  },
  {
    name: "body:142 EqualityOperator",
    file: "src/http/body.ts",
    original: "size > limit",
    replacement: "size <= limit",
    mutator: "EqualityOperator",
    caughtBy: ["explore"],
  },
  {
    name: "body:62 ConditionalExpression",
    file: "src/http/body.ts",
    original: "/invalid HTTP/i.test(String(error))",
    replacement: "false",
    mutator: "ConditionalExpression",
    caughtBy: ["input-body-broken-chunks"],
  },
  {
    name: "problem:52 EqualityOperator",
    file: "src/http/problem.ts",
    original: "known.errors.length > 0",
    replacement: "known.errors.length <= 0",
    mutator: "EqualityOperator",
    caughtBy: ["conv-empty-message", "conv-ticket-needs-subject", "conv-unknown-kind"],
  },
  {
    name: "router:111 ConditionalExpression",
    file: "src/http/router.ts",
    original: "!found",
    replacement: "false",
    mutator: "ConditionalExpression",
    caughtBy: ["input-unknown-route"],
  },
  {
    name: "router:112 ConditionalExpression",
    file: "src/http/router.ts",
    original: 'method === "HEAD"',
    replacement: "true",
    mutator: "ConditionalExpression",
    caughtBy: ["agent-foreign-conversation", "agent-lists-site", "agent-needs-admin-token", "agent-reads-and-replies"],
  },
  {
    name: "agent:57 ConditionalExpression",
    file: "src/http/routes/agent.ts",
    original: "!site || site.tenantId !== principal.tenantId",
    replacement: "true",
    mutator: "ConditionalExpression",
    caughtBy: ["agent-lists-site"],
  },
  {
    name: "agent:32 LogicalOperator",
    file: "src/http/routes/agent.ts",
    original: "!v || v.tenantId !== tenantId",
    replacement: "!v && v.tenantId !== tenantId",
    mutator: "LogicalOperator",
    caughtBy: ["agent-foreign-conversation", "agent-unknown-visitor"],
  },
  {
    name: "meta:25 StringLiteral",
    file: "src/http/routes/meta.ts",
    original: '"/api/version"',
    replacement: '""',
    mutator: "StringLiteral",
    caughtBy: ["meta-version"],
  },
  {
    name: "meta:21 StringLiteral",
    file: "src/http/routes/meta.ts",
    original: '"ok"',
    replacement: '""',
    mutator: "StringLiteral",
    caughtBy: ["meta-health"],
  },
  {
    name: "s2s:18 StringLiteral",
    file: "src/http/routes/s2s.ts",
    original: '"/api/widget/visitor-token"',
    replacement: '""',
    mutator: "StringLiteral",
    caughtBy: ["custom-data-kept-apart", "custom-data-never-overwritten"],
  },
  {
    name: "s2s:31 LogicalOperator",
    file: "src/http/routes/s2s.ts",
    original: "!site || site.tenantId !== principal.tenantId",
    replacement: "!site && site.tenantId !== principal.tenantId",
    mutator: "LogicalOperator",
    caughtBy: ["s2s-site-case-swapped", "s2s-site-of-another-tenant", "s2s-site-unknown"],
  },
  {
    name: "tenant_ops:24 ConditionalExpression",
    file: "src/http/routes/tenant_ops.ts",
    original: "c.id === currentId",
    replacement: "false",
    mutator: "ConditionalExpression",
    caughtBy: ["rot-list-no-plaintext"],
  },
  {
    name: "tenant_ops:97 ConditionalExpression",
    file: "src/http/routes/tenant_ops.ts",
    original: "!cur",
    replacement: "true",
    mutator: "ConditionalExpression",
    caughtBy: ["rot-rotate-revoke"],
  },
  {
    name: "widget_conversations:59 ConditionalExpression",
    file: "src/http/routes/widget_conversations.ts",
    original: "body.text !== undefined",
    replacement: "false",
    mutator: "ConditionalExpression",
    caughtBy: ["conv-chat"],
  },
  {
    name: "widget_conversations:57 StringLiteral",
    file: "src/http/routes/widget_conversations.ts",
    original: '"bot"',
    replacement: '""',
    mutator: "StringLiteral",
    caughtBy: ["conv-flow-bot-first", "explore"],
  },
  {
    name: "widget_sessions:95 ConditionalExpression",
    file: "src/http/routes/widget_sessions.ts",
    original: "claims !== null",
    replacement: "false",
    mutator: "ConditionalExpression",
    caughtBy: ["custom-data-never-overwritten"],
  },
  {
    name: "widget_sessions:162 StringLiteral",
    file: "src/http/routes/widget_sessions.ts",
    original: '"/api/widget/sessions"',
    replacement: '""',
    mutator: "StringLiteral",
    caughtBy: ["agent-foreign-conversation", "agent-lists-site", "agent-needs-admin-token", "agent-reads-and-replies"],
  },
  {
    name: "test_clock:9 ArithmeticOperator",
    file: "src/http/routes/test_clock.ts",
    original: "s.offsetMs / 1000",
    replacement: "s.offsetMs * 1000",
    mutator: "ArithmeticOperator",
    caughtBy: ["time-verified-session-ends-with-token", "test-clock-shows-and-moves"],
  },
  {
    name: "views:67 OptionalChaining",
    file: "src/http/views.ts",
    original: "v.verified?.name",
    replacement: "v.verified.name",
    mutator: "OptionalChaining",
    caughtBy: [
      "agent-foreign-conversation",
      "agent-reads-and-replies",
      "custom-data-claimed-id-not-verified",
      "custom-data-prechat",
    ],
  },
  {
    name: "views:64 EqualityOperator",
    file: "src/http/views.ts",
    original: "v.verified !== null",
    replacement: "v.verified === null",
    mutator: "EqualityOperator",
    caughtBy: ["custom-data-claimed-id-not-verified", "custom-data-kept-apart", "custom-data-prechat"],
  },
  {
    name: "encoding:43 ConditionalExpression",
    file: "src/identity/encoding.ts",
    original: "nowMs === last.ms",
    replacement: "false",
    mutator: "ConditionalExpression",
    caughtBy: ["time-history-order-in-one-second"],
  },
  {
    name: "secret_token:69 ConditionalExpression",
    file: "src/identity/secret_token.ts",
    original: "checksum(text.slice(0, cut)) !== text.slice(cut)",
    replacement: "false",
    mutator: "ConditionalExpression",
    caughtBy: ["s2s-auth-mistyped", "s2s-auth-tail-changed"],
  },
  {
    name: "secret_token:57 MethodExpression",
    file: "src/identity/secret_token.ts",
    original: 'plaintext.slice(0, plaintext.indexOf("_", 8) + 5)',
    replacement: "plaintext",
    mutator: "MethodExpression",
    caughtBy: ["rot-list-no-plaintext"],
  },
  {
    name: "secret_token:66 ConditionalExpression",
    file: "src/identity/secret_token.ts",
    original: "!match",
    replacement: "false",
    mutator: "ConditionalExpression",
    caughtBy: ["s2s-auth-rechecksummed"],
  },
  {
    name: "signing_keys:46 StringLiteral",
    file: "src/identity/signing_keys.ts",
    original: '"sig"',
    replacement: '""',
    mutator: "StringLiteral",
    caughtBy: ["s2s-mint-signature"],
  },
  {
    name: "visitor_token:69 ConditionalExpression",
    file: "src/identity/visitor_token.ts",
    original: "profile.metadata !== undefined",
    replacement: "false",
    mutator: "ConditionalExpression",
    caughtBy: ["custom-data-kept-apart", "custom-data-never-overwritten", "s2s-mint-full-profile"],
  },
  {
    name: "visitor_token:145 ConditionalExpression",
    file: "src/identity/visitor_token.ts",
    original: "error instanceof jose.errors.JWTExpired",
    replacement: "false",
    mutator: "ConditionalExpression",
    caughtBy: ["token-resigned-expired"],
  },
  {
    name: "visitor_token:164 StringLiteral",
    file: "src/identity/visitor_token.ts",
    original: 'invalid("the signature does not match", error)',
    replacement: 'invalid("", error)',
    mutator: "StringLiteral",
    caughtBy: ["token-tampered-payload", "token-tampered-signature"],
  },
  {
    name: "kv_keys:56 ConditionalExpression",
    file: "src/store/kv_keys.ts",
    original: 'h.kind === "verified"',
    replacement: "false",
    mutator: "ConditionalExpression",
    caughtBy: ["custom-data-kept-apart", "custom-data-never-overwritten"],
  },
  {
    name: "kv_store:433 ConditionalExpression",
    file: "src/store/kv_store.ts",
    original: "!usable(conversationId)",
    replacement: "true",
    mutator: "ConditionalExpression",
    caughtBy: ["agent-reads-and-replies", "conv-post-and-poll", "explore", "vis-verified-other-device"],
  },
  {
    name: "kv_store:486 StringLiteral",
    file: "src/store/kv_store.ts",
    original: '"tenant_credential"',
    replacement: '""',
    mutator: "StringLiteral",
    caughtBy: ["rot-list-no-plaintext"],
  },
  {
    name: "storage:44 ArrowFunction",
    file: "widget/storage.ts",
    original: '() => get("device")',
    replacement: "() => undefined",
    mutator: "ArrowFunction",
    caughtBy: ["browser-logout-other-tab", "browser-device-history"],
  },
  {
    name: "storage:48 LogicalOperator",
    file: "widget/storage.ts",
    original: 'get("prechat") ?? "null"',
    replacement: 'get("prechat") && "null"',
    mutator: "LogicalOperator",
    caughtBy: ["browser-device-history"],
  },
  {
    name: "storage:49 EqualityOperator",
    file: "widget/storage.ts",
    original: 'typeof data.name === "string"',
    replacement: 'typeof data.name !== "string"',
    mutator: "EqualityOperator",
    caughtBy: ["browser-device-history"],
  },
  {
    name: "storage:54 ArrowFunction",
    file: "widget/storage.ts",
    original: '(data) => set("prechat", JSON.stringify(data))',
    replacement: "() => undefined",
    mutator: "ArrowFunction",
    caughtBy: ["browser-device-history"],
  },
  {
    name: "storage:33 LogicalOperator",
    file: "widget/storage.ts",
    original: "memory.get(k) ?? null",
    replacement: "memory.get(k) && null",
    mutator: "LogicalOperator",
    caughtBy: ["browser-storage-refused"],
  },
  {
    name: "session:426 EqualityOperator",
    file: "widget/session.ts",
    original: 'next.step === "retry"',
    replacement: 'next.step !== "retry"',
    mutator: "EqualityOperator",
    caughtBy: ["browser-token-clocks-apart"],
  },
  {
    name: "session:236 ConditionalExpression",
    file: "widget/session.ts",
    original: "previous.identity.externalUserId !== next.identity.externalUserId",
    replacement: "false",
    mutator: "ConditionalExpression",
    caughtBy: ["browser-renewal-someone-else"],
  },
  {
    name: "session:387 BooleanLiteral",
    file: "widget/session.ts",
    original: "tokenAdvice(error, true)",
    replacement: "tokenAdvice(error, false)",
    mutator: "BooleanLiteral",
    caughtBy: ["browser-token-callback-mistakes"],
  },
];
