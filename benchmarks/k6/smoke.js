// Smoke test: a few users for 30 s; every request must succeed.
//   k6 run -e BASE=http://127.0.0.1:8080 benchmarks/k6/smoke.js
import http from 'k6/http';
import { check, sleep } from 'k6';

const BASE = __ENV.BASE || 'http://127.0.0.1:8080';

export const options = {
  vus: 5,
  duration: '30s',
  thresholds: {
    http_req_failed: ['rate==0'],
    http_req_duration: ['p(99)<200'],
    checks: ['rate==1'],
  },
};

export default function () {
  const res = http.get(`${BASE}/`);
  check(res, {
    'status is 200': (r) => r.status === 200,
    'answered by a demo origin': (r) => String(r.body).indexOf('hello from origin-') === 0,
    'the origin saw a request id': (r) => String(r.body).indexOf('x-request-id: ') > 0,
  });
  sleep(0.1);
}
