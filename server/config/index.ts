export { loadConfig, ConfigError, type Config } from './load-config.js';
export { settingSpecs } from './settings.js';
