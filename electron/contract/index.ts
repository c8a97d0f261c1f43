export * from './channels.js';
export * from './models.js';
export * from './dispatch.js';
