// What the ttrpc row's load-time figure loads: the generated containerd API (api/) and ttrpc/,
// bundled as the shims ship them (one CommonJS file). Every export is kept reachable so that
// nothing is tree-shaken away, and one message is encoded, as on a shim's first call.
import * as api from "../../api/index.js";
import * as ttrpc from "../../ttrpc/index.js";

(globalThis as Record<string, unknown>).keep = [api, ttrpc];
api.StateResponse.encode(api.StateResponse.fromPartial({ id: "x" })).finish();
