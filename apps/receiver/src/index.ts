// Async boundary: shared modules (react, the client) are negotiated before any of them is used.
import("./standalone.js");
