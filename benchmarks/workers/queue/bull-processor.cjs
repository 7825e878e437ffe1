// BullMQ sandboxed processor (useWorkerThreads) doing what workers/queue/tasks.js does.
module.exports = async (job) => {
  if (job.name === 'tiny') return job.data.args[0];
  const ms = job.data.args[0];
  const end = performance.now() + ms;
  let n = 0;
  while (performance.now() < end) n++;
  return n > 0 ? ms : 0;
};
