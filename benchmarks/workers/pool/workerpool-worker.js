import workerpool from 'workerpool';
import { busy, echo, factorial } from './tasks.js';

workerpool.worker({ echo, busy, factorial });
