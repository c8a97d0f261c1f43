// zod compiles fast parsers with `new Function` unless told not to, and merely probing for it trips the
// page's CSP (script-src without 'unsafe-eval'). Import this before any module that builds schemas.
import { config } from 'zod';

config({ jitless: true });
