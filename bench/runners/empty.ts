// The "bare node" side of the load-time figure: a bundle that does nothing, so both sides pay the
// same for Node's start-up and for reading one CommonJS file.
export {};
