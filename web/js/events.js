// The live event stream (/api/v1/events, every topic). Browsers cannot set headers on a
// WebSocket, so the token travels as ?token= (the endpoint also checks that Origin is this
// server). When the coordinator goes away the stream reconnects by itself with exponential
// backoff and jitter; views are told on every (re)connect so they refetch what they show, since
// events published while disconnected are lost.

const MAX_RECENT = 1000;

export class EventStream {
  constructor(token) {
    this.token = token;
    this.state = 'idle';  // idle | connecting | live | reconnecting
    this.recent = [];     // the latest events, for views opened after they arrived
    this.listeners = new Set();
    this.stateListeners = new Set();
    this.socket = null;
    this.attempt = 0;
    this.timer = null;
    this.everLive = false;
  }

  start() {
    if (this.state !== 'idle') return;
    this.connect();
  }

  stop() {
    clearTimeout(this.timer);
    this.timer = null;
    if (this.socket) {
      this.socket.onclose = null;
      this.socket.close();
      this.socket = null;
    }
    this.setState('idle');
  }

  // fn(event) for every event; returns the unsubscribe function.
  on(fn) {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  // fn(state, {reconnected}) on every state change; returns the unsubscribe function.
  onState(fn) {
    this.stateListeners.add(fn);
    return () => this.stateListeners.delete(fn);
  }

  setState(state, info = {}) {
    this.state = state;
    for (const fn of this.stateListeners) fn(state, info);
  }

  connect() {
    this.setState(this.everLive ? 'reconnecting' : 'connecting');
    const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
    const url = `${scheme}://${location.host}/api/v1/events?token=${encodeURIComponent(this.token())}`;
    const socket = new WebSocket(url);
    this.socket = socket;
    socket.onopen = () => {
      const reconnected = this.everLive;
      this.attempt = 0;
      this.everLive = true;
      this.setState('live', { reconnected });
    };
    socket.onmessage = (message) => {
      let event;
      try { event = JSON.parse(message.data); } catch { return; }
      this.recent.push(event);
      if (this.recent.length > MAX_RECENT) this.recent.splice(0, this.recent.length - MAX_RECENT);
      for (const fn of this.listeners) fn(event);
    };
    // Every failure ends in close (error alone carries no detail in browsers).
    socket.onclose = () => {
      this.socket = null;
      this.scheduleReconnect();
    };
  }

  scheduleReconnect() {
    // 0.5 s, 1 s, 2 s, ... capped at 8 s, each +-25 %, so many tabs do not reconnect in step.
    const base = Math.min(8000, 500 * 2 ** this.attempt);
    this.attempt++;
    const delay = base * (0.75 + Math.random() * 0.5);
    this.setState(this.everLive ? 'reconnecting' : 'connecting');
    this.timer = setTimeout(() => this.connect(), delay);
  }
}
