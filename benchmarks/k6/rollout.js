// A rollout watched from the outside, against config/examples/rollout.yaml (steps 10, 25, 50, 100;
// 10 s each). Users (a key each, as x-user) arrive at RATE/s while a watcher polls the admin port's
// /rollouts/app every second until the rollout ends, recording the canary's share it reports and
// the share users actually reached.
//   healthy canary:  bin/edge demo-origins 9001 9002 &  bin/edge run --config config/examples/rollout.yaml &
//                    k6 run -e BASE=http://127.0.0.1:8080 -e ADMIN=http://127.0.0.1:9901 -e EXPECT=promoted benchmarks/k6/rollout.js
//   broken canary:   bin/edge demo-origins 9001 &  (nothing on 9002: the canary's requests get 502)
//                    k6 run ... -e EXPECT=rolled_back benchmarks/k6/rollout.js
// 60 s in all. Passes when the rollout ends as EXPECTed; a promoted one must have cost users no errors, a
// rolled-back one at most the errors of its first step (under 10% of requests overall, far
// less once the rollback is in).
import http from 'k6/http';
import { check, sleep } from 'k6';
import { Counter, Trend } from 'k6/metrics';
import exec from 'k6/execution';

const BASE = __ENV.BASE || 'http://127.0.0.1:8080';
const ADMIN = __ENV.ADMIN || 'http://127.0.0.1:9901';
const EXPECT = __ENV.EXPECT || 'promoted';
const RATE = parseInt(__ENV.RATE || '100', 10);

const reachedCanary = new Counter('reached_canary');
const reachedStable = new Counter('reached_stable');
const reportedPercent = new Trend('rollout_percent');
const ended = new Counter('rollout_ended');

export const options = {
  scenarios: {
    users: {
      executor: 'constant-arrival-rate', rate: RATE, timeUnit: '1s', duration: '60s',
      preAllocatedVUs: 20, maxVUs: 100, exec: 'user',
    },
    watcher: {
      executor: 'per-vu-iterations', vus: 1, iterations: 1, maxDuration: '60s', exec: 'watch',
    },
  },
  thresholds: {
    [`rollout_ended{state:${EXPECT}}`]: ['count==1'],
    http_req_failed: [EXPECT === 'promoted' ? 'rate<0.001' : 'rate<0.10'],
    'checks{scenario:users}': [EXPECT === 'promoted' ? 'rate>0.999' : 'rate>0.90'],
  },
};

export function user() {
  const res = http.get(`${BASE}/`, { headers: { 'x-user': `u${exec.scenario.iterationInTest}` } });
  check(res, { 'answered 200': (r) => r.status === 200 });
  if (res.status === 200) {
    (String(res.body).indexOf('origin-9002') >= 0 ? reachedCanary : reachedStable).add(1);
  }
}

export function watch() {
  for (let i = 0; i < 58; i++) {
    const res = http.get(`${ADMIN}/rollouts/app`, { tags: { name: 'rollouts' } });
    if (res.status === 200) {
      const state = String(res.json('state'));
      reportedPercent.add(Number(res.json('percent') || 0));
      if (state === 'promoted' || state === 'rolled_back' || state === 'aborted') {
        ended.add(1, { state });
        check(res, {
          'the history ends with the final state': (r) => r.json('history.0.state') === state,
          'a reason is given': (r) => String(r.json('reason')).length > 0,
        });
        return; // users go on to the end of their 60 s
      }
    }
    sleep(1);
  }
}
