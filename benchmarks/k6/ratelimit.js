// Rate-limit test against config/examples/ratelimit-local.yaml (route /api/, 5/s per X-Api-Key):
// a key sending 20/s must see 429s carrying Retry-After and the RateLimit headers, and a
// second key must be unaffected.
//   k6 run -e BASE=http://127.0.0.1:8080 benchmarks/k6/ratelimit.js
import http from 'k6/http';
import { check } from 'k6';
import { Counter } from 'k6/metrics';

const BASE = __ENV.BASE || 'http://127.0.0.1:8080';
const limited = new Counter('limited_responses');

export const options = {
  scenarios: {
    greedy: {
      executor: 'constant-arrival-rate', rate: 20, timeUnit: '1s', duration: '20s',
      preAllocatedVUs: 5, exec: 'greedy',
    },
    polite: {
      executor: 'constant-arrival-rate', rate: 2, timeUnit: '1s', duration: '20s',
      preAllocatedVUs: 2, exec: 'polite',
    },
  },
  thresholds: {
    'checks{scenario:greedy}': ['rate==1'],
    'checks{scenario:polite}': ['rate==1'],
    limited_responses: ['count>200'],
  },
};

export function greedy() {
  const res = http.get(`${BASE}/api/`, { headers: { 'X-Api-Key': 'greedy' } });
  if (res.status === 429) {
    limited.add(1);
    check(res, {
      'Retry-After is a positive number of seconds': (r) => parseInt(r.headers['Retry-After'], 10) >= 1,
      'RateLimit-Policy names the policy': (r) => (r.headers['Ratelimit-Policy'] || '').startsWith('"per-key"'),
      'RateLimit says none remain': (r) => (r.headers['Ratelimit'] || '').indexOf(';r=0;') > 0,
      'JSON body': (r) => r.json('error') === 'rate_limited',
    });
  } else {
    check(res, { 'admitted with 200': (r) => r.status === 200 });
  }
}

export function polite() {
  const res = http.get(`${BASE}/api/`, { headers: { 'X-Api-Key': 'polite' } });
  check(res, { 'a key within its limit is never refused': (r) => r.status === 200 });
}
