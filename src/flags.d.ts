// Build-time flags, set by build.mjs through esbuild `define` and undeclared elsewhere
// (tests, tools), so read them as `typeof FIRMQTT_LITE !== 'undefined' && FIRMQTT_LITE`
// in a module-level const of the module that uses them: esbuild then folds the const and
// drops the dead branches (a const imported from another module is not folded).

/** The lite Espruino bundle: MQTT 3.1.1 only. */
declare const FIRMQTT_LITE: boolean;
