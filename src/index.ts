// firmqtt's portable core: what every target re-exports.
export * from './codec/index';
