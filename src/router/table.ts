// The route table: compiled patterns in a tree of topic levels, so finding the route of
// a topic costs one step per level (a property lookup for the literal, then '+', then
// '#'), whatever the number of routes. A linear scan would run every route's regex.
//
// Precedence, when several routes match one topic: at the first level where they
// differ, a literal beats '+' ({name}), which beats '#' ({name...}). The search tries
// the literal child first and backtracks, so `a/{x}/c` still matches "a/b/c" when a
// route `a/b/d` exists. One filter has one route (adding a second throws ROUTE_CONFLICT).
//
// Topics starting with '$' ($SYS/..., $aws/...) are never matched by a route whose first
// level is a wildcard [MQTT-4.7.2-1], as a broker would not deliver them to it.
import type { CompiledPattern } from './pattern';
import { ROUTE_CONFLICT, routeError } from './pattern';

export interface Routable {
  readonly compiled: CompiledPattern;
}

/**
 * Literal children: an object without prototype (Object.create(null)) keyed by level.
 * A lookup is checked with instanceof, so a level named like an Object.prototype member
 * ("constructor", "toString") finds nothing on an engine that still resolves built-ins,
 * and "__proto__", whose assignment some engines treat specially, is stored under
 * "/__proto__" (no real level contains '/').
 */
type Children<T extends Routable> = { [key: string]: TrieNode<T> };

function keyOf(level: string): string {
  return level === '__proto__' ? '/__proto__' : level;
}

class TrieNode<T extends Routable> {
  literal: Children<T> | null;
  literalCount: number;
  plus: TrieNode<T> | null;
  /** the route whose filter ends with '#' right below this node */
  hash: T | null;
  /** the route whose filter ends at this node */
  end: T | null;
  constructor() {
    this.literal = null;
    this.literalCount = 0;
    this.plus = null;
    this.hash = null;
    this.end = null;
  }
  empty(): boolean {
    return this.literalCount === 0 && this.plus === null && this.hash === null && this.end === null;
  }
}

export class RouteTable<T extends Routable> {
  private root: TrieNode<T>;
  private count: number;

  constructor() {
    this.root = new TrieNode<T>();
    this.count = 0;
  }

  get size(): number {
    return this.count;
  }

  /** Adds a route. Throws ROUTE_CONFLICT when its filter already has one. */
  add(route: T): void {
    const levels = route.compiled.levels;
    let node = this.root;
    for (let i = 0; i < levels.length; i++) {
      const s = levels[i];
      if (s === '#') {
        if (node.hash !== null) throw conflict(route, node.hash);
        node.hash = route;
        this.count++;
        return;
      }
      if (s === '+') {
        if (node.plus === null) node.plus = new TrieNode<T>();
        node = node.plus;
      } else {
        if (node.literal === null) node.literal = Object.create(null) as Children<T>;
        const key = keyOf(s);
        let child: TrieNode<T> | undefined = node.literal[key];
        if (!(child instanceof TrieNode)) {
          child = new TrieNode<T>();
          node.literal[key] = child;
          node.literalCount++;
        }
        node = child;
      }
    }
    if (node.end !== null) throw conflict(route, node.end);
    node.end = route;
    this.count++;
  }

  /** Removes a route; returns whether it was there. Empty branches are pruned. */
  remove(route: T): boolean {
    const removed = removeFrom(this.root, route, route.compiled.levels, 0);
    if (removed) this.count--;
    return removed;
  }

  /** The route of `topic`, already split on '/', or null. */
  find(topicLevels: string[], topic: string): T | null {
    return search(this.root, topicLevels, 0, topic.charCodeAt(0) === 36 /* '$' */);
  }

  /** The route of `topic`, or null. */
  match(topic: string): T | null {
    return search(this.root, topic.split('/'), 0, topic.charCodeAt(0) === 36);
  }
}

function conflict(route: Routable, owner: Routable): Error {
  return routeError(ROUTE_CONFLICT, 'route "' + route.compiled.pattern + '" has the filter "' + route.compiled.filter +
    '" of route "' + owner.compiled.pattern + '"');
}

function search<T extends Routable>(node: TrieNode<T>, levels: string[], i: number, dollar: boolean): T | null {
  if (i === levels.length) {
    // "a/#" matches "a" too [MQTT-4.7.1-1 non-normative example].
    return node.end !== null ? node.end : node.hash;
  }
  const wild = i > 0 || !dollar;
  if (node.literal !== null) {
    const child = node.literal[keyOf(levels[i])];
    if (child instanceof TrieNode) {
      const r = search(child, levels, i + 1, dollar);
      if (r !== null) return r;
    }
  }
  if (wild) {
    if (node.plus !== null) {
      const r = search(node.plus, levels, i + 1, dollar);
      if (r !== null) return r;
    }
    if (node.hash !== null) return node.hash;
  }
  return null;
}

function removeFrom<T extends Routable>(node: TrieNode<T>, route: T, levels: string[], i: number): boolean {
  if (i === levels.length) {
    if (node.end !== route) return false;
    node.end = null;
    return true;
  }
  const s = levels[i];
  if (s === '#') {
    if (node.hash !== route) return false;
    node.hash = null;
    return true;
  }
  if (s === '+') {
    const child = node.plus;
    if (child === null || !removeFrom(child, route, levels, i + 1)) return false;
    if (child.empty()) node.plus = null;
    return true;
  }
  const lit = node.literal;
  if (lit === null) return false;
  const key = keyOf(s);
  const child = lit[key];
  if (!(child instanceof TrieNode) || !removeFrom(child, route, levels, i + 1)) return false;
  if (child.empty()) {
    delete lit[key];
    node.literalCount--;
    if (node.literalCount === 0) node.literal = null;
  }
  return true;
}
