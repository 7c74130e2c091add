// The conversion between firmqtt packet objects and mqtt-packet's lives in
// tools/lib/mqtt-packet-shape.ts (the codec benchmark uses it too, and tools/ imports
// nothing from test/); the codec tests import it from here.
export * from '../../tools/lib/mqtt-packet-shape';
