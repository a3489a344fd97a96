/** A2A 1.0 over JSON-RPC, driven by the official `@a2a-js/sdk` 1.3 client. */
import { describeV1 } from './helpers/v1-suite.js';

describeV1('JSONRPC');
