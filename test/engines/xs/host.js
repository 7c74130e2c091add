// The XS side of the harness: stand-ins for what a Moddable host provides, over
// commands to the Node side (test/engines/xs.test.ts), since xsnap has no timers and no
// sockets. Messages are JSON both ways.
//   to Node (issueCommand): {t:'report', e} {t:'setTimer', id, ms} {t:'clearTimer', id}
//                           {t:'connect', id, address, port} {t:'write', id, bytes} {t:'close', id}
//   from Node (handleCommand): {t:'timer', id} {t:'writable', id, count} {t:'data', id, bytes}
//                              {t:'error', id} {t:'eval', code}

function hostSend(msg) {
  issueCommand(new TextEncoder().encode(JSON.stringify(msg)).buffer);
}

function report(e) {
  hostSend({ t: 'report', e: e });
}

function mem() {
  // no process.memory() on XS
}

var hostTimers = {};
var hostNextId = 1;

var Timer = {
  set: function (fn, ms) {
    var id = hostNextId++;
    hostTimers[id] = fn;
    hostSend({ t: 'setTimer', id: id, ms: ms === undefined ? 0 : ms });
    return id;
  },
  clear: function (id) {
    if (id === undefined || !hostTimers[id]) return;
    delete hostTimers[id];
    hostSend({ t: 'clearTimer', id: id });
  },
};

var hostSockets = {};

/** An ECMA-419 TCP socket (the part firmqtt uses): onWritable when connected, onReadable(count), onError. */
class TCP {
  constructor(options) {
    this.id = hostNextId++;
    this.options = options;
    this.format = options.format === undefined ? 'buffer' : options.format;
    this.chunks = [];
    this.available = 0;
    this.writableCount = 0;
    hostSockets[this.id] = this;
    hostSend({ t: 'connect', id: this.id, address: options.address, port: options.port });
  }
  read(count) {
    var n = count === undefined || count > this.available ? this.available : count;
    var out = new Uint8Array(n);
    var filled = 0;
    while (filled < n) {
      var c = this.chunks[0];
      var take = Math.min(c.length, n - filled);
      out.set(c.subarray(0, take), filled);
      filled += take;
      if (take === c.length) this.chunks.shift();
      else this.chunks[0] = c.subarray(take);
    }
    this.available -= n;
    return out.buffer;
  }
  write(data) {
    var bytes = data instanceof Uint8Array ? data : new Uint8Array(data);
    // as Moddable's sockets: at most what the last onWritable allowed, else "overflow"
    if (bytes.length > this.writableCount) throw new Error('overflow');
    this.writableCount -= bytes.length;
    var arr = [];
    for (var i = 0; i < bytes.length; i++) arr.push(bytes[i]);
    hostSend({ t: 'write', id: this.id, bytes: arr });
    return this.writableCount;
  }
  close() {
    if (!hostSockets[this.id]) return;
    delete hostSockets[this.id];
    hostSend({ t: 'close', id: this.id });
  }
}

globalThis.handleCommand = function (buffer) {
  var msg = JSON.parse(new TextDecoder().decode(buffer));
  if (msg.t === 'timer') {
    var fn = hostTimers[msg.id];
    delete hostTimers[msg.id];
    if (fn) fn();
  } else if (msg.t === 'eval') {
    (0, eval)(msg.code);
  } else {
    var s = hostSockets[msg.id];
    if (s) {
      if (msg.t === 'writable') {
        s.writableCount = msg.count;
        if (s.options.onWritable) s.options.onWritable.call(s, msg.count);
      } else if (msg.t === 'data') {
        s.chunks.push(new Uint8Array(msg.bytes));
        s.available += msg.bytes.length;
        if (s.options.onReadable) s.options.onReadable.call(s, s.available);
      } else if (msg.t === 'error') {
        delete hostSockets[msg.id];
        if (s.options.onError) s.options.onError.call(s);
      }
    }
  }
  return new ArrayBuffer(0);
};
