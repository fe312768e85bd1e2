// WebSocket test against config/examples/sticky-websocket.yaml: each user opens /ws with its
// own session key, sends messages, and must get every one echoed back from the same origin.
//   k6 run -e WS=ws://127.0.0.1:8080/ws benchmarks/k6/websocket.js
import ws from 'k6/ws';
import { check } from 'k6';

const URL = __ENV.WS || 'ws://127.0.0.1:8080/ws';

export const options = {
  vus: 50,
  duration: '30s',
  thresholds: {
    checks: ['rate==1'],
    ws_connecting: ['p(99)<100'],
  },
};

export default function () {
  const session = `vu-${__VU}`;
  let origins = new Set();
  let echoed = 0;
  const res = ws.connect(URL, { headers: { 'x-session': session } }, (socket) => {
    socket.on('open', () => {
      for (let i = 0; i < 10; i++) {
        socket.send(`${session} message ${i}`);
      }
    });
    socket.on('message', (msg) => {
      // The demo origins answer "origin-PORT: text".
      origins.add(msg.split(':')[0]);
      echoed++;
      if (echoed === 10) {
        socket.close();
      }
    });
    socket.setTimeout(() => socket.close(), 5000);
  });
  check(res, { 'switched protocols': (r) => r && r.status === 101 });
  check(null, {
    'every message echoed': () => echoed === 10,
    'one origin per session (sticky)': () => origins.size === 1,
  });
}
