// Build-time feature flags. build.mjs defines FIRMQTT_LITE (esbuild `define`); outside
// a build (tests, tsc) it is undeclared and the full client is meant.
declare const FIRMQTT_LITE: boolean;

/** The lite Espruino bundle: MQTT 3.1.1 only, so MQTT 5 code is dead and dropped. */
export const LITE: boolean = typeof FIRMQTT_LITE !== 'undefined' && FIRMQTT_LITE;
