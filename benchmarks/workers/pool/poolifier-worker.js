import { ThreadWorker } from 'poolifier';
import { busy, echo, factorial } from './tasks.js';
export default new ThreadWorker({ echo, busy, factorial });
