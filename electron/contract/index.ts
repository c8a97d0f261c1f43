export * from './channels.js';
export * from './models.js';
