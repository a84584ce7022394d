// The segment condition of DESIGN §6 as the builder edits it, and its proto3 JSON form
// (relance.segment.v1.SegmentCondition). The builder's tree keeps NOT as a flag on any node, which
// is how people read it ("NOT has abandoned cart"); the proto wraps the node in not_condition.
import { moneyText, toMoney } from './dom.js';

export const NUMBER_OPERATORS = [
  ['NUMBER_OPERATOR_EQUAL', 'is'],
  ['NUMBER_OPERATOR_NOT_EQUAL', 'is not'],
  ['NUMBER_OPERATOR_GREATER', 'is greater than'],
  ['NUMBER_OPERATOR_GREATER_OR_EQUAL', 'is greater than or equal to'],
  ['NUMBER_OPERATOR_LESS', 'is less than'],
  ['NUMBER_OPERATOR_LESS_OR_EQUAL', 'is less than or equal to']
];

export const TEXT_OPERATORS = [
  ['TEXT_OPERATOR_IS', 'is'],
  ['TEXT_OPERATOR_IS_NOT', 'is not'],
  ['TEXT_OPERATOR_CONTAINS', 'contains'],
  ['TEXT_OPERATOR_DOES_NOT_CONTAIN', 'does not contain']
];

export const EQUALITY_OPERATORS = [
  ['EQUALITY_OPERATOR_IS', 'is'],
  ['EQUALITY_OPERATOR_IS_NOT', 'is not']
];

/** Every condition of DESIGN §6: its label, what it takes, and its operators. */
export const CONDITION_TYPES = {
  hasAbandonedCart: { label: 'Has abandoned cart', takes: 'store' },
  hasRecoveredCart: { label: 'Has recovered cart', takes: 'store' },
  lastAbandonedCartValue: { label: 'Last abandoned cart total value', takes: 'amount', operators: NUMBER_OPERATORS },
  lastAbandonedCartProductCount: { label: 'Number of products in last abandoned cart', takes: 'count', operators: NUMBER_OPERATORS },
  lastAbandonedCartProductName: { label: 'Product name in last abandoned cart', takes: 'text', operators: TEXT_OPERATORS },
  lastAbandonedCartStatus: { label: 'Status of last abandoned cart', takes: 'status', operators: EQUALITY_OPERATORS },
  hasPurchased: { label: 'Has purchased', takes: 'storeSince' },
  // Seed 004: page views seen by the tracker, and purchases detected by a thank-you page.
  visitedUrl: { label: 'Visited URL', takes: 'url' },
  hasUrlTrackedPurchase: { label: 'Has purchased (thank-you page seen)', takes: 'storeSince' }
};

/** Why a URL pattern (docs/tracker-protocol.md, "Page views") cannot be used, or ''. */
export function patternProblem(text) {
  if (!text) return 'enter a URL pattern such as /cart* or https://shop.example/*';
  if (text.length > 500) return 'at most 500 characters';
  if (/[\s\u0000-\u001f]/.test(text)) return 'no spaces in a pattern';
  if (text.includes('#')) return 'no # in a pattern: fragments are removed from addresses';
  if (!/^(\/|\*|https?:\/\/)/i.test(text)) return "start with / (path and query), http://, https:// or * (whole address)";
  return '';
}

let nextId = 1;

export function group(op = 'and', children = []) {
  return { id: nextId++, kind: 'group', op, not: false, children };
}

export function leaf(type = 'hasAbandonedCart') {
  const spec = CONDITION_TYPES[type];
  return {
    id: nextId++, kind: 'condition', type, not: false,
    operator: spec.operators ? spec.operators[0][0] : '',
    value: '', currency: '', storeId: '', since: '', count: '', days: ''
  };
}

/** Why a leaf cannot be asked yet, or '' when it is complete. */
export function leafProblem(node) {
  const takes = CONDITION_TYPES[node.type].takes;
  const value = node.value.trim();
  if (takes === 'amount' && !toMoney(value)) return 'enter an amount such as 100 or 19.99';
  if (takes === 'count' && !/^\d{1,9}$/.test(value)) return 'enter a whole number';
  if (takes === 'text' && (value.length < 1 || value.length > 500)) return 'enter 1 to 500 characters';
  if (takes === 'status' && node.value.length > 50) return 'at most 50 characters';
  if (takes === 'url') {
    const problem = patternProblem(value);
    if (problem) return problem;
    if (node.count.trim() && !/^\d{1,9}$/.test(node.count.trim())) return 'times: enter a whole number';
    if (node.days.trim() && !/^\d{1,5}$/.test(node.days.trim())) return 'days: enter a whole number';
  }
  return '';
}

function leafToProto(node) {
  const takes = CONDITION_TYPES[node.type].takes;
  switch (takes) {
    case 'store':
      return { [node.type]: node.storeId ? { storeId: node.storeId } : {} };
    case 'storeSince': {
      const body = {};
      if (node.storeId) body.storeId = node.storeId;
      if (node.since) body.since = new Date(`${node.since}T00:00:00Z`).toISOString();
      return { [node.type]: body };
    }
    case 'url': {
      const body = { urlPattern: node.value.trim() };
      if (Number(node.count) > 1) body.minCount = node.count.trim();
      if (Number(node.days) > 0) body.withinDays = Number(node.days);
      if (node.storeId) body.storeId = node.storeId;
      return { visitedUrl: body };
    }
    case 'amount':
      return { lastAbandonedCartValue: { operator: node.operator, amount: toMoney(node.value.trim(), node.currency) } };
    case 'count':
      return { lastAbandonedCartProductCount: { operator: node.operator, count: node.value.trim() } };
    case 'text':
      return { lastAbandonedCartProductName: { operator: node.operator, text: node.value.trim() } };
    default:
      return { lastAbandonedCartStatus: { operator: node.operator, text: node.value } };
  }
}

/**
 * The proto JSON of a tree, leaving out incomplete conditions and empty groups (they are listed
 * in problems so the page can say what is not counted yet). condition is undefined when nothing
 * is left: the question then matches every contact.
 */
export function toProto(root) {
  const problems = [];
  const convert = (node) => {
    let proto;
    if (node.kind === 'group') {
      const children = node.children.map(convert).filter(Boolean);
      if (children.length === 0) return null;
      proto = children.length === 1 && !node.not ? children[0]
        : { [node.op === 'or' ? 'orCondition' : 'andCondition']: { conditions: children } };
    } else {
      const problem = leafProblem(node);
      if (problem) {
        problems.push({ id: node.id, text: `${CONDITION_TYPES[node.type].label}: ${problem}` });
        return null;
      }
      proto = leafToProto(node);
    }
    return node.not ? { notCondition: { condition: proto } } : proto;
  };
  const condition = convert(root) || undefined;
  return { condition, problems };
}

/** A builder tree from a proto JSON condition (a trigger's, when editing it). */
export function fromProto(proto) {
  const root = group('and');
  if (proto && Object.keys(proto).length) {
    const node = nodeFromProto(proto);
    if (node.kind === 'group' && !node.not) return node;
    root.children.push(node);
  }
  return root;
}

function nodeFromProto(proto) {
  if (proto.notCondition) {
    const inner = nodeFromProto(proto.notCondition.condition || {});
    if (!inner.not) {
      inner.not = true;
      return inner;
    }
    const wrapper = group('and', [inner]);
    wrapper.not = true;
    return wrapper;
  }
  if (proto.andCondition || proto.orCondition) {
    const op = proto.andCondition ? 'and' : 'or';
    const children = ((proto.andCondition || proto.orCondition).conditions || []).map(nodeFromProto);
    return group(op, children);
  }
  const type = Object.keys(CONDITION_TYPES).find((t) => proto[t]);
  if (!type) return group('and');
  const body = proto[type];
  const node = leaf(type);
  node.storeId = body.storeId || '';
  if (body.operator) node.operator = body.operator;
  if ((type === 'hasPurchased' || type === 'hasUrlTrackedPurchase') && body.since) node.since = body.since.slice(0, 10);
  if (type === 'visitedUrl') {
    node.value = body.urlPattern || '';
    node.count = body.minCount ? String(body.minCount) : '';
    node.days = body.withinDays ? String(body.withinDays) : '';
  }
  if (type === 'lastAbandonedCartValue') {
    node.value = moneyText(body.amount);
    node.currency = (body.amount && body.amount.currencyCode) || '';
  }
  if (type === 'lastAbandonedCartProductCount') node.value = String(body.count || '0');
  if (type === 'lastAbandonedCartProductName' || type === 'lastAbandonedCartStatus') node.value = body.text || '';
  return node;
}

/** One line of text for a tree, for lists and summaries. */
export function describe(proto) {
  if (!proto || !Object.keys(proto).length) return 'every contact';
  if (proto.notCondition) return `NOT (${describe(proto.notCondition.condition)})`;
  if (proto.andCondition) return proto.andCondition.conditions.map(describe).join(' AND ');
  if (proto.orCondition) return `(${proto.orCondition.conditions.map(describe).join(' OR ')})`;
  const type = Object.keys(CONDITION_TYPES).find((t) => proto[t]);
  if (!type) return '?';
  const spec = CONDITION_TYPES[type];
  const body = proto[type];
  const op = spec.operators ? (spec.operators.find(([v]) => v === body.operator) || [, body.operator])[1] : '';
  let value = '';
  if (type === 'lastAbandonedCartValue') value = `${moneyText(body.amount)} ${(body.amount && body.amount.currencyCode) || ''}`.trim();
  else if (type === 'lastAbandonedCartProductCount') value = String(body.count || 0);
  else if (body.text !== undefined) value = `"${body.text}"`;
  if (type === 'visitedUrl') {
    const times = Number(body.minCount) > 1 ? ` at least ${body.minCount} times` : '';
    const days = body.withinDays ? ` in the last ${body.withinDays} days` : '';
    return `${spec.label} "${body.urlPattern || ''}"${times}${days}${body.storeId ? ` in ${body.storeId}` : ''}`;
  }
  const store = body.storeId ? ` in ${body.storeId}` : '';
  const since = body.since ? ` since ${body.since.slice(0, 10)}` : '';
  return `${spec.label}${op ? ` ${op} ${value}` : ''}${store}${since}`;
}
