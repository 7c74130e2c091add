// Route patterns: an MQTT topic filter whose wildcard levels may carry names.
//
//   sensors/{device}/data/{kind}   subscribes sensors/+/data/+   params {device, kind}
//   logs/{path...}                 subscribes logs/#             params {path} = the rest, '/'-joined
//   a/+/b, a/#                     plain wildcards, matched but not captured
//   $share/workers/jobs/{id}       the same as jobs/{id} with the option share: 'workers'
//
// A pattern is compiled once, when the route is added: the levels, where each named
// parameter sits, and the filter to subscribe. Errors are thrown then, with a stable
// code (ROUTE_PATTERN_INVALID / ROUTE_CONFLICT), never while messages flow.

/** Thrown for a pattern that cannot be compiled. */
export const ROUTE_PATTERN_INVALID = 'ROUTE_PATTERN_INVALID';
/** Thrown when a route would take a filter another route already owns. */
export const ROUTE_CONFLICT = 'ROUTE_CONFLICT';

export interface RouteError extends Error {
  code: string;
}

export function routeError(code: string, message: string): RouteError {
  const e = new Error(message) as RouteError;
  e.code = code;
  return e;
}

export interface CompiledPattern {
  /** the pattern as given */
  pattern: string;
  /** the shared-subscription group, or null */
  share: string | null;
  /** the MQTT topic filter the route matches (no $share prefix) */
  filter: string;
  /** what is subscribed: $share/<group>/<filter>, or the filter */
  subscription: string;
  /** one entry per filter level: a literal, '+' or '#' */
  levels: string[];
  /** parameter names, in order */
  names: string[];
  /** the topic level each parameter captures */
  positions: number[];
  /** the last parameter is multi-level ({name...}): it captures the rest of the topic */
  rest: boolean;
}

const SHARE_PREFIX = '$share/';
const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

function invalid(pattern: string, why: string): RouteError {
  return routeError(ROUTE_PATTERN_INVALID, 'invalid route pattern "' + pattern + '": ' + why);
}

function checkGroup(pattern: string, group: string): void {
  if (group === '' || group.indexOf('/') >= 0 || group.indexOf('+') >= 0 || group.indexOf('#') >= 0) {
    // [MQTT-4.8.2-1] [MQTT-4.8.2-2]
    throw invalid(pattern, 'a share group is a non-empty name without "/", "+" or "#"');
  }
}

/**
 * Compiles `pattern` (optionally in the shared group `share`). Throws a RouteError with
 * code ROUTE_PATTERN_INVALID when the pattern is not a valid filter with named levels.
 */
export function compilePattern(pattern: string, share?: string): CompiledPattern {
  let body = pattern;
  let group: string | null = share === undefined || share === null ? null : share;
  if (group !== null) checkGroup(pattern, group);
  if (pattern.lastIndexOf(SHARE_PREFIX, 0) === 0) {
    const slash = pattern.indexOf('/', SHARE_PREFIX.length);
    if (slash < 0) throw invalid(pattern, '"$share/<group>/" must be followed by a filter');
    const g = pattern.substring(SHARE_PREFIX.length, slash);
    checkGroup(pattern, g);
    if (group !== null && group !== g) throw invalid(pattern, 'share group "' + g + '" in the pattern, "' + group + '" in the options');
    group = g;
    body = pattern.substring(slash + 1);
  }
  if (body === '') throw invalid(pattern, 'empty');
  const parts = body.split('/');
  const levels: string[] = [];
  const names: string[] = [];
  const positions: number[] = [];
  let rest = false;
  for (let i = 0; i < parts.length; i++) {
    const s = parts[i];
    const last = i === parts.length - 1;
    if (s === '#') {
      if (!last) throw invalid(pattern, '"#" must be the last level'); // [MQTT-4.7.1-1]
      levels.push('#');
    } else if (s === '+') {
      levels.push('+');
    } else if (s.length >= 2 && s.charAt(0) === '{' && s.charAt(s.length - 1) === '}') {
      let name = s.substring(1, s.length - 1);
      const multi = name.length > 3 && name.substring(name.length - 3) === '...';
      if (multi) {
        if (!last) throw invalid(pattern, '"{' + name + '}" must be the last level');
        name = name.substring(0, name.length - 3);
      }
      if (!NAME.test(name) || name === '__proto__') throw invalid(pattern, '"' + name + '" is not a parameter name (letters, digits, _)');
      if (names.indexOf(name) >= 0) throw invalid(pattern, 'parameter "' + name + '" appears twice');
      names.push(name);
      positions.push(i);
      levels.push(multi ? '#' : '+');
      rest = multi;
    } else {
      if (s.indexOf('+') >= 0 || s.indexOf('#') >= 0) throw invalid(pattern, 'a wildcard must fill its whole level: "' + s + '"'); // [MQTT-4.7.1-2]
      if (s.indexOf('{') >= 0 || s.indexOf('}') >= 0) throw invalid(pattern, 'a parameter must fill its whole level: "' + s + '"');
      levels.push(s);
    }
  }
  const filter = levels.join('/');
  return {
    pattern,
    share: group,
    filter,
    subscription: group === null ? filter : SHARE_PREFIX + group + '/' + filter,
    levels,
    names,
    positions,
    rest,
  };
}

/** The parameters of a matched topic (split into `topicLevels`), by name. */
export function extractParams(c: CompiledPattern, topicLevels: string[]): { [name: string]: string } {
  const params: { [name: string]: string } = {};
  const n = c.names.length;
  for (let i = 0; i < n; i++) {
    const at = c.positions[i];
    if (c.rest && i === n - 1) {
      // '#' also matches its parent level: logs/{path...} on "logs" gives path = ''.
      params[c.names[i]] = at < topicLevels.length ? topicLevels.slice(at).join('/') : '';
    } else {
      params[c.names[i]] = topicLevels[at];
    }
  }
  return params;
}
