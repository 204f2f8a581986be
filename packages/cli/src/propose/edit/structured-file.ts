import type { PolicyDocument } from '@iamgen/core';
import type { Node, Pair } from 'yaml';
import { isMap, isPair, isScalar, isSeq, parseDocument, stringify, visit } from 'yaml';
import type { Location, PolicyTarget, Unsupported } from './located.js';
import { asPolicyDocument, indentUnitOf, lineIndentAt } from './located.js';

/**
 * How the policy's YAML is shared with the rest of the file, if it is: an anchor on it or inside it (`&shared`) may
 * be aliased elsewhere, and an alias inside it (`*shared`) stands for text written elsewhere.
 */
function sharedThroughYaml(node: Node): string | undefined {
  let found: string | undefined;
  const note = (anchored: Node) => {
    if (found === undefined && anchored.anchor !== undefined) found = `carries the YAML anchor &${anchored.anchor}`;
  };
  note(node);
  visit(node, {
    Node: (_, child) => {
      note(child);
    },
    Alias: (_, alias) => {
      found ??= `holds the YAML alias *${alias.source}`;
      return visit.BREAK;
    },
  });
  return found;
}

/** Resource types whose `Properties.PolicyDocument` is the policy. */
const documentTypes = new Set([
  'AWS::IAM::ManagedPolicy',
  'AWS::IAM::Policy',
  'AWS::IAM::RolePolicy',
  'AWS::IAM::UserPolicy',
  'AWS::IAM::GroupPolicy',
]);
/** Resource types with inline `Properties.Policies: [{ PolicyName, PolicyDocument }]`. */
const inlineListTypes = new Set(['AWS::IAM::Role', 'AWS::IAM::User', 'AWS::IAM::Group']);

interface Candidate {
  readonly where: string;
  readonly node: Node;
  readonly inline: boolean;
}

/**
 * A policy in a JSON or YAML file: a bare policy document, or one inside a CloudFormation/SAM template.
 * The replacement is spliced into the original text at the node's range, so comments, quoting and layout
 * everywhere else stay byte for byte.
 */
export function locateInStructuredFile(text: string, file: string, target: PolicyTarget): Location {
  const json = /\.json$/i.test(file);
  const document = parseDocument(text, { keepSourceTokens: true });
  if (document.errors.length > 0)
    return { unsupported: `not valid ${json ? 'JSON' : 'YAML'}: ${document.errors[0]?.message.split('\n')[0]}` };
  const root = document.contents;
  if (!isMap(root)) return { unsupported: 'neither a policy document nor a CloudFormation template' };
  let candidate: Candidate | Unsupported;
  if (root.has('Resources')) candidate = templateCandidate(root.get('Resources', true), target);
  else if (root.has('Statement')) {
    if (target.resource !== undefined)
      return { unsupported: `resource ${target.resource} was given, but the file is a bare policy document` };
    candidate = { where: 'the policy document', node: root, inline: false };
  } else return { unsupported: 'neither a policy document nor a CloudFormation template' };
  if ('unsupported' in candidate) return candidate;
  const { node, where, inline } = candidate;
  const shared = sharedThroughYaml(node);
  if (shared !== undefined)
    return {
      unsupported: `${where} ${shared}; editing it would change another part of the file too, so iamgen leaves it alone`,
    };
  const intrinsic = intrinsicIn(node);
  if (intrinsic !== undefined)
    return {
      unsupported: `${where} uses ${intrinsic}; iamgen cannot evaluate CloudFormation functions, so it leaves the policy alone`,
    };
  const policy = asPolicyDocument(node.toJSON(), where);
  if ('unsupported' in policy) return policy;
  const range = node.range;
  if (range === null || range === undefined) return { unsupported: `${where}: no source position` };
  const [start, end] = range;
  return {
    policy,
    where,
    inline,
    rewrite: (next) => {
      const replaced = text.slice(start, end);
      const trailing = /\s*$/.exec(replaced)?.[0] ?? '';
      const rendered =
        json || (isMap(node) && node.flow === true)
          ? renderJsonAt(next, text, start, json)
          : renderYamlAt(next, text, start, node);
      return `${text.slice(0, start)}${rendered}${trailing}${text.slice(end)}`;
    },
  };
}

function templateCandidate(resources: unknown, target: PolicyTarget): Candidate | Unsupported {
  if (!isMap(resources)) return { unsupported: 'Resources is not a map' };
  const all: Candidate[] = [];
  const problems: string[] = [];
  for (const pair of resources.items) {
    const id = isScalar(pair.key) ? String(pair.key.value) : undefined;
    if (id === undefined || (target.resource !== undefined && id !== target.resource)) continue;
    const found = candidatesOf(id, pair, target);
    if ('unsupported' in found) problems.push(found.unsupported);
    else all.push(...found);
  }
  if (all.length === 1 && all[0] !== undefined) return all[0];
  if (target.resource !== undefined) {
    if (problems[0] !== undefined) return { unsupported: problems[0] };
    if (all.length === 0) return { unsupported: `no resource ${target.resource} in the template` };
  }
  if (all.length === 0) return { unsupported: 'the template holds no IAM policy iamgen can edit' };
  return {
    unsupported: `the template holds ${all.length} policies (${all.map((c) => c.where).join(', ')}); say which with resource (and policyName)`,
  };
}

function candidatesOf(id: string, pair: Pair, target: PolicyTarget): Candidate[] | Unsupported {
  const resource = pair.value;
  if (!isMap(resource)) return [];
  const type = resource.get('Type');
  const properties = resource.get('Properties', true);
  if (!isMap(properties)) return [];
  const base = `Resources.${id}.Properties`;
  if (typeof type === 'string' && documentTypes.has(type)) {
    const node = properties.get('PolicyDocument', true);
    return node === undefined
      ? []
      : [{ where: `${base}.PolicyDocument`, node: node as Node, inline: type !== 'AWS::IAM::ManagedPolicy' }];
  }
  if (typeof type === 'string' && inlineListTypes.has(type)) {
    const list = properties.get('Policies', true);
    if (!isSeq(list)) return [];
    const entries = list.items.filter(isMap).map((entry) => ({
      name: entry.get('PolicyName'),
      node: entry.get('PolicyDocument', true) as Node | undefined,
    }));
    const chosen =
      target.policyName === undefined ? entries : entries.filter((entry) => entry.name === target.policyName);
    if (chosen.length === 0 && target.policyName !== undefined)
      return { unsupported: `${id} has no inline policy named ${target.policyName}` };
    if (chosen.length > 1)
      return {
        unsupported: `${id} has ${chosen.length} inline policies (${chosen.map((e) => String(e.name)).join(', ')}); say which with policyName`,
      };
    return chosen.flatMap((entry) =>
      entry.node === undefined
        ? []
        : [{ where: `${base}.Policies[${String(entry.name)}]`, node: entry.node, inline: true }],
    );
  }
  if (type === 'AWS::Serverless::Function') {
    const policies = properties.get('Policies', true);
    if (isMap(policies) && policies.has('Statement'))
      return [{ where: `${base}.Policies`, node: policies, inline: true }];
    if (isSeq(policies)) {
      const inline = policies.items.filter((item) => isMap(item) && item.has('Statement')) as Node[];
      if (inline.length > 1)
        return { unsupported: `${id} has ${inline.length} inline policy documents in Policies; merge them into one` };
      return inline.map((node) => ({ where: `${base}.Policies[inline]`, node, inline: true }));
    }
  }
  return [];
}

/** The first CloudFormation function inside a node (`!Sub`, `Fn::Join`, `Ref`), named for the message. */
function intrinsicIn(node: Node): string | undefined {
  let found: string | undefined;
  visit(node, (_key, item) => {
    if (found !== undefined) return visit.BREAK;
    if ((isScalar(item) || isMap(item) || isSeq(item)) && item.tag !== undefined && item.tag.startsWith('!'))
      found = item.tag;
    else if (isPair(item) && isScalar(item.key)) {
      const key = String(item.key.value);
      if (key === 'Ref' || key === 'Condition' || key.startsWith('Fn::')) {
        // `Condition` is an IAM statement key too: only a string value (a template condition name) is a function.
        if (key !== 'Condition' || (isScalar(item.value) && typeof item.value.value === 'string')) found = key;
      }
    }
    return undefined;
  });
  return found;
}

/** Block YAML at the node's column; `Version` keeps the quoting the file used. */
function renderYamlAt(policy: PolicyDocument, text: string, start: number, original: Node): string {
  const column = start - (text.lastIndexOf('\n', start - 1) + 1);
  const unit = indentUnitOf(text).replace(/\t/g, '  ').length || 2;
  const versionNode = isMap(original) ? original.get('Version', true) : undefined;
  const versionQuote = isScalar(versionNode) ? versionNode.type : undefined;
  const statementList = isMap(original) ? original.get('Statement', true) : undefined;
  const indentSeq = !isSeq(statementList) || sequenceIndented(text, statementList);
  const body = stringify(policy, {
    lineWidth: 0,
    indent: unit,
    indentSeq,
    defaultStringType: 'PLAIN',
    defaultKeyType: 'PLAIN',
  }).replace(/\n$/, '');
  // YAML 1.1 readers (CloudFormation among them) take a bare 2012-10-17 for a date: quote unless the file did not.
  const quoted =
    versionQuote === 'PLAIN'
      ? body
      : body.replace(
          /^Version: .*$/m,
          `Version: ${versionQuote === 'QUOTE_DOUBLE' ? `"${policy.Version}"` : `'${policy.Version}'`}`,
        );
  const pad = ' '.repeat(column);
  return quoted
    .split('\n')
    .map((line, index) => (index === 0 || line === '' ? line : `${pad}${line}`))
    .join('\n');
}

/** Whether a block sequence's dashes sit deeper than its key (`Statement:\n  - …`) or level with it. */
function sequenceIndented(text: string, list: Node): boolean {
  const start = list.range?.[0];
  if (start === undefined) return true;
  const lineStart = text.lastIndexOf('\n', start - 1) + 1;
  const dashColumn = start - lineStart;
  // The key is on the nearest line above that is not blank or a comment.
  const above = text.slice(0, lineStart).split('\n').reverse();
  const keyLine = above.find((line) => line.trim() !== '' && !line.trim().startsWith('#')) ?? '';
  return dashColumn > (/^ */.exec(keyLine)?.[0] ?? '').length;
}

/** JSON in the file's indent unit, continuation lines at the indentation of the line the node starts on. */
function renderJsonAt(policy: PolicyDocument, text: string, start: number, wholeFileIsJson: boolean): string {
  const unit = wholeFileIsJson ? indentUnitOf(text) : '  ';
  const pad = lineIndentAt(text, start);
  return JSON.stringify(policy, null, unit)
    .split('\n')
    .map((line, index) => (index === 0 ? line : `${pad}${line}`))
    .join('\n');
}
