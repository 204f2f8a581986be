import type {
  Access,
  GeneralizeMode,
  Grant,
  IamCatalog,
  ObservedAccess,
  PolicyDiff,
  PolicyDocument,
  PolicyStatement,
} from '@iamgen/core';
import {
  addUnloggedCompanions,
  compareCodePoints,
  describeAccess,
  diffPolicies,
  evaluate,
  expandGrants,
  explainStatements,
  isDataPlaneAction,
  shapePolicy,
  wildcardMatch,
} from '@iamgen/core';

/** Why a statement of the current policy (or part of it) is carried into the proposal instead of being shrunk. */
export type CarryReason = 'keep-sid' | 'deny' | 'unknown-data-plane' | 'recent-grant' | 'conditional';

export interface ShrinkInput {
  readonly current: PolicyDocument;
  /** What the principal was seen doing (authorized calls only). */
  readonly observed: readonly ObservedAccess[];
  readonly catalog: IamCatalog;
  readonly keepSid: RegExp;
  /** Services whose data events the source holds; their data-plane grants are judged by use, others kept. */
  readonly dataEventServices: ReadonlySet<string>;
  /** Grants the file gained within the grace period. */
  readonly recentGrants: readonly Grant[];
  readonly objectPrefixThreshold: number;
}

/** What the logs show for a statement of the proposal, and why it was carried over when it was. */
export interface ProposalEvidence {
  readonly sid: string;
  readonly actions: readonly string[];
  /** Events whose calls the statement allows. */
  readonly events: number;
  readonly firstSeen?: string;
  readonly lastSeen?: string;
  /** `eventID` of one such event (of the most recently used call), to look up in CloudTrail. */
  readonly sampleEventId?: string;
  readonly carried?: readonly CarryReason[];
}

export interface Shrunk {
  readonly next: PolicyDocument;
  readonly diff: PolicyDiff;
  /** Observed and authorized, but not by this file (another policy of the principal grants it): for humans. */
  readonly notGranted: readonly ObservedAccess[];
  readonly evidence: readonly ProposalEvidence[];
}

/** The proposal cannot be made safely (it would widen the file); a bug or an odd file, never a silent result. */
export class ShrinkFailure extends Error {
  override readonly name = 'ShrinkFailure';
}

const asList = (value: string | readonly string[] | undefined): readonly string[] =>
  value === undefined ? [] : typeof value === 'string' ? [value] : value;
const serviceOf = (action: string) => action.slice(0, action.indexOf(':')).toLowerCase();
const requestOf = (access: Access) =>
  access.context === undefined
    ? { action: access.action, resource: access.resource }
    : { action: access.action, resource: access.resource, context: access.context };
const single = (version: PolicyDocument['Version'], statement: PolicyStatement): PolicyDocument => ({
  Version: version,
  Statement: [statement],
});
const withoutCondition = ({ Condition: _dropped, ...rest }: PolicyStatement): PolicyStatement => rest;

/**
 * The proposal for one file: the intersection of what the file grants and what the principal was seen using,
 * shaped like `from-trail` output, plus what the safeguards carry over. It never grants what the file does not.
 */
export function shrinkPolicy(input: ShrinkInput): Shrunk {
  const { current, catalog } = input;
  const statements = current.Statement;
  const carryWhole = new Map<number, CarryReason[]>();
  statements.forEach((statement, index) => {
    if (statement.Effect === 'Deny') carryWhole.set(index, ['deny']);
    else if (statement.Sid !== undefined && input.keepSid.test(statement.Sid)) carryWhole.set(index, ['keep-sid']);
  });
  const partial = new Map<number, { actions: Set<string>; reasons: Set<CarryReason> }>();
  const carryPart = (index: number, action: string, reason: CarryReason) => {
    let entry = partial.get(index);
    if (entry === undefined) {
      entry = { actions: new Set(), reasons: new Set() };
      partial.set(index, entry);
    }
    entry.actions.add(action);
    entry.reasons.add(reason);
  };

  const toShape: Access[] = [];
  const notGranted: ObservedAccess[] = [];
  const grantingStatements = (request: ReturnType<typeof requestOf>) =>
    statements
      .map((statement, index) => ({ statement, index }))
      .filter(
        ({ statement, index }) =>
          statement.Effect === 'Allow' &&
          !carryWhole.has(index) &&
          evaluate([single(current.Version, withoutCondition(statement))], request).decision === 'allow',
      );
  // Conditions set aside: a statement kept whole keeps its conditions, and what it covers needs no other grant.
  const keptAllows = statements.filter((s, i) => s.Effect === 'Allow' && carryWhole.has(i)).map(withoutCondition);
  for (const entry of input.observed) {
    const request = requestOf(entry.access);
    if (evaluate([current], request).decision === 'explicit-deny') {
      notGranted.push(entry);
      continue;
    }
    if (
      keptAllows.length > 0 &&
      evaluate([{ Version: current.Version, Statement: keptAllows }], request).decision === 'allow'
    )
      continue;
    const matching = grantingStatements(request);
    if (matching.length === 0) notGranted.push(entry);
    else if (matching.some(({ statement }) => statement.Condition === undefined)) toShape.push(entry.access);
    // The file grants it only under conditions iamgen cannot check (source IP, tags…): keep those conditions.
    else for (const { index } of matching) carryPart(index, entry.access.action, 'conditional');
  }

  // Calls CloudTrail never records but the observed ones imply (PutLogEvents after CreateLogStream): the logs
  // cannot show them unused, so what the file grants of them stays; what it does not grant is not asked for.
  const observedAccesses = input.observed.map((o) => o.access);
  for (const access of addUnloggedCompanions(observedAccesses).accesses.slice(observedAccesses.length)) {
    const request = requestOf(access);
    if (evaluate([current], request).decision === 'explicit-deny') continue;
    const matching = grantingStatements(request);
    if (matching.some(({ statement }) => statement.Condition === undefined)) toShape.push(access);
    else for (const { index } of matching) carryPart(index, access.action, 'conditional');
  }

  const recent = new Set(input.recentGrants.map((g) => `${g.action}\u0000${g.resource}`));
  const grantsOf = statements.map((statement) =>
    statement.Effect === 'Allow' ? expandGrants([single(current.Version, statement)], catalog) : [],
  );
  grantsOf.forEach((grants, index) => {
    if (carryWhole.has(index)) return;
    for (const grant of grants) {
      if (isDataPlaneAction(grant.action) && !input.dataEventServices.has(serviceOf(grant.action)))
        carryPart(index, grant.action, 'unknown-data-plane');
      if (recent.has(`${grant.action}\u0000${grant.resource}`)) carryPart(index, grant.action, 'recent-grant');
    }
  });

  const carried: { statement: PolicyStatement; reasons: CarryReason[] }[] = [];
  // Sids of statements that are rebuilt from the logs are free again, so a rerun names them the same way.
  const usedSids = new Set(
    statements.flatMap((s, i) => (s.Sid !== undefined && (carryWhole.has(i) || partial.has(i)) ? [s.Sid] : [])),
  );
  statements.forEach((statement, index) => {
    const whole = carryWhole.get(index);
    if (whole !== undefined) {
      carried.push({ statement, reasons: whole });
      return;
    }
    const part = partial.get(index);
    if (part === undefined) return;
    const reasons = [...part.reasons].sort(compareCodePoints);
    const allActions = new Set(grantsOf[index]?.map((g) => g.action));
    if (part.actions.size >= allActions.size) {
      carried.push({ statement, reasons });
      return;
    }
    const { Sid, Action: _action, NotAction: _notAction, Effect, ...rest } = statement;
    carried.push({
      statement: {
        Sid: Sid ?? uniqueSid(sidFor(reasons), usedSids),
        Effect,
        Action: [...part.actions].sort(compareCodePoints),
        ...rest,
      },
      reasons,
    });
  });

  // What the carried statements already allow needs no second grant.
  const carriedAllows: PolicyDocument = {
    Version: current.Version,
    Statement: carried.map((c) => c.statement).filter((st) => st.Effect === 'Allow'),
  };
  const rest = toShape.filter((access) => evaluate([carriedAllows], requestOf(access)).decision !== 'allow');
  const attempt = (shape: { objectPrefixThreshold: number; generalize?: GeneralizeMode }) => {
    const shaped = shapePolicy(rest, { policyKind: 'managed', maxDocuments: 1, catalog, ...shape });
    const taken = new Set(usedSids);
    const built = shaped.documents
      .flatMap((document) => document.Statement)
      .map((statement) => ({ ...statement, Sid: uniqueSid(statement.Sid ?? 'Allow', taken) }));
    const next: PolicyDocument = {
      Version: current.Version,
      ...(current.Id === undefined ? {} : { Id: current.Id }),
      Statement: [...carried.map((c) => c.statement), ...built],
    };
    return { next, diff: diffPolicies([current], [next], catalog, { dataEventsSeen: true }) };
  };
  let result = attempt({ objectPrefixThreshold: input.objectPrefixThreshold });
  // Generalizing (object keys to a prefix, names to their stable part) can reach past what the file grants;
  // the exact resources used never do.
  if (result.diff.added.length > 0) result = attempt({ objectPrefixThreshold: 0, generalize: 'exact' });
  if (result.diff.added.length > 0) {
    const named = result.diff.added
      .slice(0, 3)
      .map((g) => `${g.action} on ${g.resource}`)
      .join('; ');
    throw new ShrinkFailure(`the proposal would grant what the file does not (${named}); nothing proposed`);
  }
  requireSameCoverage(current, result.next, input.observed);
  return {
    next: result.next,
    // Data-plane grants of services without data events were carried over, so every removal is "not seen".
    diff: result.diff,
    notGranted,
    evidence: evidenceOf(result.next, carried, input.observed),
  };
}

/** Everything the file allowed that was observed, the proposal allows too (conditions the logs cannot show aside). */
function requireSameCoverage(current: PolicyDocument, next: PolicyDocument, observed: readonly ObservedAccess[]): void {
  const loose = (document: PolicyDocument): PolicyDocument => ({
    ...document,
    Statement: document.Statement.map((s) => (s.Effect === 'Allow' ? withoutCondition(s) : s)),
  });
  for (const { access } of observed) {
    const request = requestOf(access);
    const before =
      evaluate([current], request).decision === 'allow' || evaluate([loose(current)], request).decision === 'allow';
    const after =
      evaluate([next], request).decision === 'allow' || evaluate([loose(next)], request).decision === 'allow';
    if (before && !after)
      throw new ShrinkFailure(`coverage proof failed: the proposal would not allow ${describeAccess(access)}`);
  }
}

const sidNames: Readonly<Record<CarryReason, string>> = {
  'keep-sid': 'Keep',
  deny: 'Deny',
  'unknown-data-plane': 'UnverifiedDataPlane',
  'recent-grant': 'RecentGrant',
  conditional: 'ConditionalGrant',
};
const sidFor = (reasons: readonly CarryReason[]) => reasons.map((r) => sidNames[r]).join('');

function uniqueSid(base: string, taken: Set<string>): string {
  let sid = base;
  for (let n = 2; taken.has(sid); n += 1) sid = `${base}${n}`;
  taken.add(sid);
  return sid;
}

function evidenceOf(
  next: PolicyDocument,
  carried: readonly { statement: PolicyStatement; reasons: CarryReason[] }[],
  observed: readonly ObservedAccess[],
): ProposalEvidence[] {
  const reasonsOf = new Map(carried.map((c) => [c.statement, c.reasons]));
  const observedActions = [...new Set(observed.map((o) => o.access.action))].sort(compareCodePoints);
  return next.Statement.map((statement, index) => {
    const reasons = reasonsOf.get(statement);
    const base = {
      sid: statement.Sid ?? `statement ${index + 1}`,
      actions: asList(statement.Action ?? statement.NotAction),
      ...(reasons === undefined ? {} : { carried: reasons }),
    };
    if (statement.Effect !== 'Allow') return { ...base, events: 0 };
    // The explanation matches actions by name: a file's wildcards and NotAction are spelled out as the observed
    // actions they cover. Conditions are set aside: the logs carry only some condition keys.
    const covers = (action: string) =>
      statement.Action !== undefined
        ? asList(statement.Action).some((pattern) => wildcardMatch(pattern, action, true))
        : !asList(statement.NotAction).some((pattern) => wildcardMatch(pattern, action, true));
    const used = observedActions.filter(covers);
    if (used.length === 0) return { ...base, events: 0 };
    const { NotAction: _notAction, Condition: _condition, ...rest } = statement;
    const [explained] = explainStatements(
      [{ Version: next.Version, Statement: [{ ...rest, Action: used }] }],
      observed,
      [],
      undefined,
      // Every pair: the latest sample may be a quiet one.
      Number.POSITIVE_INFINITY,
    );
    if (explained === undefined) return { ...base, events: 0 };
    const latest = explained.samples
      .filter((sample) => sample.sampleEventId !== undefined)
      .sort((a, b) => compareCodePoints(b.lastSeen ?? '', a.lastSeen ?? ''))[0];
    return {
      ...base,
      events: explained.events,
      ...(explained.firstSeen === undefined ? {} : { firstSeen: explained.firstSeen }),
      ...(explained.lastSeen === undefined ? {} : { lastSeen: explained.lastSeen }),
      ...(latest?.sampleEventId === undefined ? {} : { sampleEventId: latest.sampleEventId }),
    };
  });
}
