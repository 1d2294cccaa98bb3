// The async boundary federation needs: shared modules are negotiated before the app's code runs.
import("./bootstrap");
