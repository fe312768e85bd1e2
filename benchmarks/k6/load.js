// Load test: arrival rate ramps to RATE requests/s and holds; fails on p(99) or error rate.
//   k6 run -e BASE=http://127.0.0.1:8080 -e RATE=2000 benchmarks/k6/load.js
import http from 'k6/http';
import { check } from 'k6';

const BASE = __ENV.BASE || 'http://127.0.0.1:8080';
const RATE = parseInt(__ENV.RATE || '1000', 10);

export const options = {
  scenarios: {
    ramp: {
      executor: 'ramping-arrival-rate',
      startRate: Math.max(1, Math.floor(RATE / 10)),
      timeUnit: '1s',
      preAllocatedVUs: 50,
      maxVUs: 500,
      stages: [
        { target: RATE, duration: '30s' },
        { target: RATE, duration: '2m' },
        { target: 0, duration: '10s' },
      ],
    },
  },
  thresholds: {
    http_req_failed: ['rate<0.001'],
    http_req_duration: ['p(99)<50', 'p(50)<10'],
    dropped_iterations: ['count<100'],
  },
};

export default function () {
  const res = http.get(`${BASE}/`);
  check(res, { 'status is 200': (r) => r.status === 200 });
}
