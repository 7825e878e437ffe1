/** The request topic a supervisor asks its workers' metrics with (reserved: an app's handler of it is never called). */
export const METRICS_TOPIC = '$spindle:metrics';
