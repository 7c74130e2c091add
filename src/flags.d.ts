// Build-time flags, set by build.mjs through esbuild `define` and undeclared elsewhere
// (tests, tools), so read them as
// `(typeof FIRMQTT_CLIENT_ONLY !== 'undefined' && FIRMQTT_CLIENT_ONLY)`,
// written out in the condition itself: esbuild folds the define'd identifier there and
// drops the dead branch, but it does not inline a module-level const holding the same
// expression (measured with esbuild 0.28: `const V5 = false` stays a variable once
// bundled), so a const guard leaves the dead code in the bundle.

/**
 * The lite Espruino bundle: MQTT 3.1.1 only. Read by the compact core (src/compact) only;
 * the main core (src/codec, src/session, src/client) is built for Node and Moddable with
 * FIRMQTT_LITE=false and does not read it.
 */
declare const FIRMQTT_LITE: boolean;

/**
 * The Moddable bundle (the main core's only device bundle): the codec is reached only
 * through the client's session, so it need not encode what only a server sends (CONNACK,
 * SUBACK, UNSUBACK, PINGRESP) nor decode what only a client sends (CONNECT, SUBSCRIBE,
 * UNSUBSCRIBE, PINGREQ): such a packet is a Protocol Error (0x82) there, as the session
 * makes it anyway. Read by the main codec (src/codec).
 */
declare const FIRMQTT_CLIENT_ONLY: boolean;

/**
 * The Espruino bundles: `E` is always there, so the compact codec's fallbacks for other
 * engines (TextEncoder, TextDecoder) drop out. Read by src/compact/codec.ts.
 */
declare const FIRMQTT_ESPRUINO: boolean;
