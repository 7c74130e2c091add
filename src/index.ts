// firmqtt's portable core: what every target re-exports.
export * from './codec/index';
export * from './router/index';
export * from './rpc/index';
