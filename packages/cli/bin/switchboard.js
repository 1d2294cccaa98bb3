#!/usr/bin/env node
// A committed entry point, so npm can link the `switchboard` bin at install time (before dist/ is built).
import "../dist/main.js";
