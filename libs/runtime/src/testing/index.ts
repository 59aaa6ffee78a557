export { consistently, waitUntil } from './wait.ts';
