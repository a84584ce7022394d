// The condition tree editor, shared by the segment builder and the trigger form. Typing changes
// the model in place and reports the change without redrawing, so focus and caret stay put;
// adding, removing or changing a condition's kind redraws and then puts focus on the control the
// user would act on next.
import { CONDITION_TYPES, group, leaf, leafProblem } from './condition.js';
import { clear, h, select, storeOptions, uid } from './dom.js';

/**
 * Draws the editor of `root` into `container`. options: stores (for store pickers), onChange
 * (called after every change), label (the accessible name of the whole tree).
 */
export function conditionEditor(container, root, { stores, onChange, label = 'Conditions' }) {
  const prefix = uid('tree');
  let focusAfter = null;

  const changed = () => onChange(root);

  const redraw = (focusId) => {
    focusAfter = focusId;
    clear(container);
    container.append(h('div', { class: 'tree', role: 'group', 'aria-label': label }, drawGroup(root, null, 0)));
    if (focusAfter) {
      const target = container.querySelector(`[data-focus="${focusAfter}"]`);
      if (target) target.focus();
    }
    changed();
  };

  const notToggle = (node, text) => {
    const id = `${prefix}-not-${node.id}`;
    return h('span', { class: 'not-toggle' },
      h('input', {
        type: 'checkbox', id, checked: node.not, dataset: { role: 'not' },
        onchange: (e) => {
          node.not = e.target.checked;
          e.target.closest('.node').classList.toggle('negated', node.not);
          changed();
        }
      }),
      h('label', { for: id }, text));
  };

  const drawGroup = (node, parent, depth) => {
    const opId = `${prefix}-op-${node.id}`;
    const legend = parent ? `Group ${depth}` : 'Contacts who match';
    return h('fieldset', { class: `node group${node.not ? ' negated' : ''}`, dataset: { node: node.id } },
      h('legend', {}, legend),
      h('div', { class: 'group-head' },
        h('label', { for: opId }, 'Combine with'),
        select([['and', 'AND — all of these'], ['or', 'OR — any of these']], node.op, {
          id: opId, dataset: { role: 'combine' },
          onchange: (e) => { node.op = e.target.value; changed(); }
        }),
        notToggle(node, parent ? 'NOT — exclude contacts matching this group' : 'NOT — exclude contacts matching all of this'),
        parent ? h('button', {
          type: 'button', class: 'link danger', dataset: { role: 'remove-group' },
          onclick: () => {
            parent.children.splice(parent.children.indexOf(node), 1);
            redraw(`add-${parent.id}`);
          }
        }, 'Remove group') : null),
      node.children.length === 0
        ? h('p', { class: 'hint' }, parent ? 'An empty group is left out.' : 'No condition: every contact matches.')
        : h('ol', { class: 'children' }, node.children.map((child) => h('li', {},
          child.kind === 'group' ? drawGroup(child, node, depth + 1) : drawLeaf(child, node)))),
      h('div', { class: 'group-actions' },
        h('button', {
          type: 'button', dataset: { focus: `add-${node.id}`, role: 'add-condition' },
          onclick: () => {
            const added = leaf();
            node.children.push(added);
            redraw(`type-${added.id}`);
          }
        }, 'Add condition'),
        depth < 8 ? h('button', {
          type: 'button', class: 'secondary', dataset: { role: 'add-group' },
          onclick: () => {
            const added = group(node.op === 'and' ? 'or' : 'and', [leaf()]);
            node.children.push(added);
            redraw(`type-${added.children[0].id}`);
          }
        }, 'Add group') : null));
  };

  const drawLeaf = (node, parent) => {
    const spec = CONDITION_TYPES[node.type];
    const typeId = `${prefix}-type-${node.id}`;
    const problemId = `${prefix}-problem-${node.id}`;
    const problem = h('span', { class: 'problem', id: problemId, 'aria-live': 'polite' });
    const showProblem = () => {
      const text = leafProblem(node);
      problem.textContent = text ? `Not counted yet: ${text}` : '';
    };
    const controls = [];
    controls.push(h('div', { class: 'field' },
      h('label', { for: typeId }, 'Condition'),
      select(Object.entries(CONDITION_TYPES).map(([t, s]) => [t, s.label]), node.type, {
        id: typeId, dataset: { focus: `type-${node.id}`, role: 'type' },
        onchange: (e) => {
          const replacement = leaf(e.target.value);
          replacement.id = node.id;
          replacement.not = node.not;
          Object.assign(node, replacement);
          redraw(`type-${node.id}`);
        }
      })));
    if (spec.operators) {
      const id = uid('op');
      controls.push(h('div', { class: 'field' }, h('label', { for: id }, 'Operator'),
        select(spec.operators, node.operator, {
          id, dataset: { role: 'operator' },
          onchange: (e) => { node.operator = e.target.value; changed(); }
        })));
    }
    const input = (labelText, props) => {
      const id = uid('v');
      return h('div', { class: 'field' }, h('label', { for: id }, labelText),
        h('input', {
          id, value: node.value, 'aria-describedby': problemId, dataset: { role: 'value' }, ...props,
          oninput: (e) => { node.value = e.target.value; showProblem(); changed(); }
        }));
    };
    if (spec.takes === 'amount') {
      controls.push(input('Amount', { inputmode: 'decimal', autocomplete: 'off', size: 10 }));
      const id = uid('cur');
      controls.push(h('div', { class: 'field' }, h('label', { for: id }, 'Currency'),
        h('input', {
          id, value: node.currency, size: 4, maxlength: 3, placeholder: 'any', autocomplete: 'off', dataset: { role: 'currency' },
          'aria-describedby': `${id}-hint`,
          oninput: (e) => { node.currency = e.target.value.trim().toUpperCase(); changed(); }
        }),
        h('span', { class: 'hint', id: `${id}-hint` }, 'Empty compares the number alone')));
    } else if (spec.takes === 'count') {
      controls.push(input('Products', { inputmode: 'numeric', autocomplete: 'off', size: 6 }));
    } else if (spec.takes === 'text') {
      controls.push(input('Product name', { autocomplete: 'off', maxlength: 500 }));
    } else if (spec.takes === 'status') {
      controls.push(input('Status', { autocomplete: 'off', maxlength: 50, placeholder: 'e.g. ValidateShippingStep' }));
    } else if (spec.takes === 'url') {
      controls.push(input('URL pattern', { autocomplete: 'off', maxlength: 500, placeholder: 'e.g. /cart* or https://shop.example/sale/*', spellcheck: 'false' }));
      for (const [key, text, placeholder] of [['count', 'At least (times)', '1'], ['days', 'In the last (days)', 'any time']]) {
        const id = uid(key);
        controls.push(h('div', { class: 'field' }, h('label', { for: id }, text),
          h('input', {
            id, value: node[key], inputmode: 'numeric', autocomplete: 'off', size: 6, placeholder, 'aria-describedby': problemId,
            dataset: { role: key },
            oninput: (e) => { node[key] = e.target.value; showProblem(); changed(); }
          })));
      }
    }
    if (spec.takes === 'store' || spec.takes === 'storeSince' || spec.takes === 'url') {
      const id = uid('store');
      controls.push(h('div', { class: 'field' }, h('label', { for: id }, 'Store'),
        select(storeOptions(stores, 'Any store'), node.storeId, {
          id, dataset: { role: 'store' },
          onchange: (e) => { node.storeId = e.target.value; changed(); }
        })));
    }
    if (spec.takes === 'storeSince') {
      const id = uid('since');
      controls.push(h('div', { class: 'field' }, h('label', { for: id }, 'Since (UTC day, optional)'),
        h('input', {
          id, type: 'date', value: node.since, dataset: { role: 'since' },
          onchange: (e) => { node.since = e.target.value; changed(); }
        })));
    }
    const row = h('div', { class: `node condition${node.not ? ' negated' : ''}`, dataset: { node: node.id } },
      notToggle(node, 'NOT'),
      h('div', { class: 'controls' }, controls),
      h('button', {
        type: 'button', class: 'link danger', 'aria-label': `Remove condition ${spec.label}`, dataset: { role: 'remove' },
        onclick: () => {
          parent.children.splice(parent.children.indexOf(node), 1);
          redraw(`add-${parent.id}`);
        }
      }, 'Remove'),
      problem);
    showProblem();
    return row;
  };

  redraw(null);
  return { redraw };
}
