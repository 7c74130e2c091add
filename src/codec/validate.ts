// Topic Name and Topic Filter rules (MQTT 5.0 §4.7, §4.8.2). Pure string checks used by
// the encoder and the decoder alike; exported so the session and router can use them too.

const PLUS = 0x2b; // '+'
const HASH = 0x23; // '#'
const SLASH = 0x2f; // '/'

/**
 * Whether `topic` is usable as a Topic Name: no wildcard characters [MQTT-3.3.2-2]
 * [MQTT-4.7.0-1]. Emptiness is checked by the caller (a v5 PUBLISH may carry an empty
 * topic together with a Topic Alias). U+0000 is refused by the UTF-8 layer.
 */
export function isValidTopicName(topic: string): boolean {
  return topic.indexOf('+') < 0 && topic.indexOf('#') < 0;
}

/** Whether `filter` starts a Shared Subscription ("$share/{ShareName}/{filter}", §4.8.2). */
export function isSharedFilter(filter: string): boolean {
  return filter.lastIndexOf('$share/', 0) === 0;
}

/**
 * Whether `filter` is a valid Topic Filter: at least one character [MQTT-4.7.3-1];
 * '#' only as the last character and alone in its level [MQTT-4.7.1-1]; '+' alone in its
 * level [MQTT-4.7.1-2]. With `shared` (MQTT 5), "$share/" must be followed by a ShareName
 * of at least one character without '/', '+' or '#' [MQTT-4.8.2-1] [MQTT-4.8.2-2], then
 * '/' and a valid filter.
 */
export function isValidTopicFilter(filter: string, shared: boolean): boolean {
  const n = filter.length;
  if (n === 0) return false;
  let start = 0;
  if (shared && isSharedFilter(filter)) {
    const slash = filter.indexOf('/', 7);
    if (slash <= 7 || slash === n - 1) return false;
    for (let i = 7; i < slash; i++) {
      const c = filter.charCodeAt(i);
      if (c === PLUS || c === HASH) return false;
    }
    start = slash + 1;
  }
  for (let i = start; i < n; i++) {
    const c = filter.charCodeAt(i);
    if (c === PLUS) {
      if (i > start && filter.charCodeAt(i - 1) !== SLASH) return false;
      if (i + 1 < n && filter.charCodeAt(i + 1) !== SLASH) return false;
    } else if (c === HASH) {
      if (i !== n - 1) return false;
      if (i > start && filter.charCodeAt(i - 1) !== SLASH) return false;
    }
  }
  return true;
}
