export { Code, codeName } from "./code.js";
export { TtrpcError, isTtrpcError } from "./error.js";
