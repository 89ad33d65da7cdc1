// The official JS durable-execution SDK (@aws/durable-execution-sdk-js) as the peer of
// lmc-durable-bench: the same workflow as the bench's C++ one, invoked in process on the same
// invocation event, with an in-memory checkpoint client, timed per invocation from event text to
// answer text. Tooling only: scripts/bench-durable installs the package (npm ci) next to a copy of
// this file; CI never runs it.
//
//   node durable_peer.mjs --event FILE [--event-ops K] [--warmup W] [--reps R]
//
// The workflow: for i in 0..steps-1 a step named `step-<i>` returning i, then a step `final`
// returning the sum; input {"steps": N, "at_most_once": bool} from the EXECUTION operation.
// FILE is a durable invocation event (PROTOCOL.md §1) holding the whole log; with --event-ops K
// the event carries its first K operations and NextMarker, and the rest is served by
// getExecutionState in pages of MaxItems. Each invocation: JSON.parse of the event text (the
// Node.js runtime does that before calling a handler), the handler, JSON.stringify of the answer.
//
// The client is injected the way the SDK's testing package does it (its invocation event is a
// DurableExecutionInvocationInputWithClient carrying the client), as a plain object whose
// checkpoint() answers with a new token and the updated operations, and whose
// getExecutionState() serves pages: no network and no serialisation, as on the C++ side.
//
// Prints one JSON object: per-invocation wall and CPU microseconds and minor page faults of the
// timed repetitions, the
// answer, and what one invocation did (step bodies run, checkpoint calls and updates, pages).
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import {
  withDurableExecution,
  DurableExecutionInvocationInputWithClient,
  StepSemantics,
  SDK_VERSION,
} from "@aws/durable-execution-sdk-js";

function parseArgs(argv) {
  const args = { event: "", eventOps: 0, warmup: 200, reps: 200 };
  for (let i = 2; i < argv.length; i += 2) {
    const value = argv[i + 1];
    if (value === undefined) throw new Error(`${argv[i]} needs a value`);
    if (argv[i] === "--event") args.event = value;
    else if (argv[i] === "--event-ops") args.eventOps = Number(value);
    else if (argv[i] === "--warmup") args.warmup = Number(value);
    else if (argv[i] === "--reps") args.reps = Number(value);
    else throw new Error(`unknown argument ${argv[i]}`);
  }
  if (!args.event) throw new Error("--event FILE is required");
  return args;
}

// What one invocation did, reset before each.
const counters = { bodies: 0, checkpoints: 0, updates: 0, pages: 0 };

const workflow = withDurableExecution(async (input, ctx) => {
  const config = {
    semantics: input.at_most_once
      ? StepSemantics.AtMostOncePerRetry
      : StepSemantics.AtLeastOncePerRetry,
  };
  let sum = 0;
  for (let i = 0; i < input.steps; i++) {
    sum += await ctx.step(
      `step-${i}`,
      async () => {
        counters.bodies++;
        return i;
      },
      config,
    );
  }
  return await ctx.step(
    "final",
    async () => {
      counters.bodies++;
      return sum;
    },
    config,
  );
});

// The in-memory service: a token per answer, the updated operations in NewExecutionState (as the
// service answers), pages of the log beyond the event.
class InMemoryClient {
  constructor(rest) {
    this.rest = rest;
    this.token = 0;
  }

  async checkpoint(params) {
    counters.checkpoints++;
    counters.updates += params.Updates.length;
    const changed = new Map();
    for (const u of params.Updates) {
      const op = changed.get(u.Id) ?? {
        Id: u.Id,
        ParentId: u.ParentId,
        Name: u.Name,
        Type: u.Type,
        SubType: u.SubType,
        StartTimestamp: new Date(),
        StepDetails: { Attempt: 0 },
      };
      op.Status = u.Action === "SUCCEED" ? "SUCCEEDED" : "STARTED";
      if (u.Payload !== undefined) op.StepDetails.Result = u.Payload;
      changed.set(u.Id, op);
    }
    return {
      CheckpointToken: `token-${++this.token}`,
      NewExecutionState: { Operations: [...changed.values()] },
    };
  }

  async getExecutionState(params) {
    counters.pages++;
    const offset = Number(params.Marker);
    const end = Math.min(this.rest.length, offset + params.MaxItems);
    return {
      Operations: this.rest.slice(offset, end),
      NextMarker: end < this.rest.length ? String(end) : "",
    };
  }
}

// The SDK's own id scheme (first 16 hex digits of the MD5 of the step id): every top-level step
// of the log must carry the id of its position, or the log would not replay under this SDK.
function checkIds(operations) {
  let position = 0;
  for (const op of operations) {
    if (op.Type === "EXECUTION") continue;
    ++position;
    const want = createHash("md5").update(String(position)).digest("hex").slice(0, 16);
    if (op.Id !== want) {
      throw new Error(`operation ${position} has Id ${op.Id}, the JS SDK derives ${want}`);
    }
  }
  return position;
}

const lambdaContext = {
  callbackWaitsForEmptyEventLoop: false,
  functionName: "bench",
  functionVersion: "$LATEST",
  invokedFunctionArn: "arn:aws:lambda:us-east-1:123456789012:function:bench",
  memoryLimitInMB: "2048",
  awsRequestId: "11111111-2222-4333-8444-555555555555",
  logGroupName: "/aws/lambda/bench",
  logStreamName: "bench",
  getRemainingTimeInMillis: () => 900000,
  done: () => {},
  fail: () => {},
  succeed: () => {},
};

async function main() {
  const args = parseArgs(process.argv);
  const whole = JSON.parse(readFileSync(args.event, "utf8"));
  const operations = whole.InitialExecutionState.Operations;
  const idsChecked = checkIds(operations);
  const split = args.eventOps > 0 ? Math.min(args.eventOps, operations.length) : operations.length;
  const rest = operations.slice(split);
  const eventText = JSON.stringify({
    DurableExecutionArn: whole.DurableExecutionArn,
    CheckpointToken: whole.CheckpointToken,
    InitialExecutionState: {
      Operations: operations.slice(0, split),
      NextMarker: rest.length > 0 ? "0" : "",
    },
  });

  let answer = "";
  let did = null;
  const invoke = async () => {
    for (const key of Object.keys(counters)) counters[key] = 0;
    const event = JSON.parse(eventText);
    const input = new DurableExecutionInvocationInputWithClient(event, new InMemoryClient(rest));
    answer = JSON.stringify(await workflow(input, lambdaContext));
    did = { ...counters };
  };

  for (let i = 0; i < args.warmup; i++) await invoke();
  const wallUs = [];
  const cpuUs = [];
  const faults = [];
  for (let i = 0; i < args.reps; i++) {
    const faultsBefore = process.resourceUsage().minorPageFault;
    const cpu = process.cpuUsage();
    const start = process.hrtime.bigint();
    await invoke();
    const wall = Number(process.hrtime.bigint() - start) / 1000;
    const used = process.cpuUsage(cpu);
    wallUs.push(wall);
    cpuUs.push(used.user + used.system);
    faults.push(process.resourceUsage().minorPageFault - faultsBefore);
  }
  process.stdout.write(
    JSON.stringify({
      sdk: "@aws/durable-execution-sdk-js",
      version: SDK_VERSION,
      node: process.version,
      warmup: args.warmup,
      reps: args.reps,
      event_bytes: Buffer.byteLength(eventText),
      ids_checked: idsChecked,
      answer,
      did,
      wall_us: wallUs,
      cpu_us: cpuUs,
      faults,
    }) + "\n",
  );
  // The SDK leaves a 500 ms diagnostic timer per invocation; they hold nothing worth waiting for.
  process.exit(0);
}

main().catch((error) => {
  process.stderr.write(`durable_peer: ${error.stack ?? error}\n`);
  process.exit(1);
});
