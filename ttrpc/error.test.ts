import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Code, codeName, toCode } from "./code.js";
import { TtrpcError, isTtrpcError } from "./error.js";
import type * as ErrorModule from "./error.js";

const systemError = (code: string) => Object.assign(new Error(`${code}: boom`), { code });

describe("TtrpcError", () => {
  it("keeps the raw message for the wire and shows the code name in its message", () => {
    const err = new TtrpcError(Code.NotFound, "task x not found");
    assert.equal(err.code, 5);
    assert.equal(err.rawMessage, "task x not found");
    assert.equal(err.message, "[NOT_FOUND] task x not found");
    assert.equal(err.name, "TtrpcError");
  });

  it("keeps a cause without sending it", () => {
    const cause = new Error("inner");
    const err = new TtrpcError(Code.Internal, "outer", { cause });
    assert.equal(err.cause, cause);
    assert.equal(err.rawMessage, "outer");
  });

  it("from() returns a TtrpcError as it is", () => {
    const err = new TtrpcError(Code.FailedPrecondition, "no");
    assert.equal(TtrpcError.from(err), err);
  });

  it("from() maps Node system errors by errno code", () => {
    const cases: [string, Code][] = [
      ["ENOENT", Code.NotFound],
      ["EEXIST", Code.AlreadyExists],
      ["EACCES", Code.PermissionDenied],
      ["EPERM", Code.PermissionDenied],
      ["EIO", Code.Unknown],
    ];
    for (const [errno, code] of cases) {
      const err = TtrpcError.from(systemError(errno));
      assert.equal(err.code, code, errno);
      assert.equal(err.rawMessage, `${errno}: boom`);
      assert.equal((err.cause as Error).message, `${errno}: boom`);
    }
  });

  it("from() maps an abort to CANCELLED and a timeout to DEADLINE_EXCEEDED", () => {
    const controller = new AbortController();
    controller.abort();
    assert.equal(TtrpcError.from(controller.signal.reason).code, Code.Cancelled);
    assert.equal(
      TtrpcError.from(new DOMException("t", "TimeoutError")).code,
      Code.DeadlineExceeded,
    );
  });

  it("from() makes UNKNOWN of anything else, strings and plain objects included", () => {
    assert.deepEqual(
      [
        TtrpcError.from("text"),
        TtrpcError.from({ message: "obj" }),
        TtrpcError.from(undefined),
      ].map((e) => [e.code, e.rawMessage]),
      [
        [Code.Unknown, "text"],
        [Code.Unknown, "obj"],
        [Code.Unknown, "undefined"],
      ],
    );
  });

  it("is recognised across two copies of the module, by instanceof and by the guard", async () => {
    // A query string makes the loader evaluate the module a second time: a separate class.
    // (A variable specifier, because TypeScript cannot resolve a literal with a query.)
    const specifier = "./error.js?second-copy";
    const copy = (await import(specifier)) as typeof ErrorModule;
    assert.notEqual(copy.TtrpcError, TtrpcError);
    const foreign = new copy.TtrpcError(Code.Aborted, "from the other copy");
    assert.ok(foreign instanceof TtrpcError);
    assert.ok(isTtrpcError(foreign));
    assert.equal(TtrpcError.from(foreign), foreign);
    assert.ok(new TtrpcError(Code.Aborted, "x") instanceof copy.TtrpcError);
  });

  it("is not confused with other errors that have a code", () => {
    const lookalike = Object.assign(new Error("x"), { code: 5, rawMessage: "x" });
    assert.equal(lookalike instanceof TtrpcError, false);
    assert.equal(isTtrpcError(lookalike), false);
    assert.equal(isTtrpcError({ code: 5 }), false);
  });

  it("keeps ordinary instanceof for subclasses", () => {
    class NotFound extends TtrpcError {
      constructor() {
        super(Code.NotFound, "gone");
      }
    }
    assert.ok(new NotFound() instanceof NotFound);
    assert.ok(new NotFound() instanceof TtrpcError);
    assert.equal(new TtrpcError(Code.NotFound, "x") instanceof NotFound, false);
  });
});

describe("Code", () => {
  it("uses gRPC's numbers and names", () => {
    assert.equal(Code.Unimplemented, 12);
    assert.equal(codeName(Code.ResourceExhausted), "RESOURCE_EXHAUSTED");
    assert.equal(codeName(99), "CODE(99)");
  });

  it("turns numbers outside gRPC's range into UNKNOWN", () => {
    assert.equal(toCode(14), Code.Unavailable);
    assert.equal(toCode(17), Code.Unknown);
    assert.equal(toCode(-1), Code.Unknown);
  });
});
