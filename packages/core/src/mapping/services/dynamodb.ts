import type { TrailEvent } from '../../types.js';
import { isRecord, listAt, stringAt } from '../request-values.js';
import type { ActionUse, ServiceRules } from '../service-rules.js';

/** TransactWriteItems logs each item's `operation`; the action is that operation on the item's table. */
const transactOperations: Readonly<Record<string, string>> = {
  Put: 'PutItem',
  Update: 'UpdateItem',
  Delete: 'DeleteItem',
  ConditionCheck: 'ConditionCheckItem',
};

/** PartiQL statements authorize by verb: `SELECT …` needs `dynamodb:PartiQLSelect` on the table. */
const partiqlVerbs: Readonly<Record<string, string>> = {
  SELECT: 'PartiQLSelect',
  INSERT: 'PartiQLInsert',
  UPDATE: 'PartiQLUpdate',
  DELETE: 'PartiQLDelete',
};

function partiql(statement: string): ActionUse | undefined {
  const verb = /^\s*(\w+)/.exec(statement)?.[1]?.toUpperCase();
  const action = verb === undefined ? undefined : partiqlVerbs[verb];
  if (action === undefined) return undefined;
  // The table follows FROM/INTO/UPDATE; quoted names may hold dots, `"table"."index"` names an index.
  const target =
    /(?:\bFROM|\bINTO|^\s*UPDATE)\s+("(?:[^"]|"")+"|[A-Za-z0-9_.-]+)(?:\s*\.\s*("(?:[^"]|"")+"|[A-Za-z0-9_.-]+))?/i.exec(
      statement,
    );
  const unquote = (name: string | undefined) => name?.replace(/^"|"$/g, '').replace(/""/g, '"');
  const table = unquote(target?.[1]);
  const index = unquote(target?.[2]);
  return { action, values: { TableName: table, IndexName: index } };
}

function uses(event: TrailEvent): readonly ActionUse[] | undefined {
  const params = event.requestParameters;
  switch (event.eventName) {
    case 'TransactWriteItems':
    case 'TransactGetItems': {
      const items = [...listAt(params, 'requestItems'), ...listAt(params, 'transactItems')];
      const found = items.flatMap((item): ActionUse[] => {
        const operation = stringAt(item, 'operation');
        const action =
          event.eventName === 'TransactGetItems'
            ? 'GetItem'
            : operation === undefined
              ? undefined
              : transactOperations[operation];
        return action === undefined
          ? []
          : [{ action, values: { TableName: stringAt(item, 'tableName', 'TableName') } }];
      });
      return found.length > 0 ? found : undefined;
    }
    case 'ExecuteStatement': {
      const use = partiql(stringAt(params, 'statement') ?? '');
      return use === undefined ? undefined : [use];
    }
    case 'BatchExecuteStatement':
    case 'ExecuteTransaction': {
      const statements = [
        ...listAt(params, 'requestItems'),
        ...listAt(params, 'transactStatements'),
        ...listAt(params, 'statements'),
      ]
        .map((item) => (typeof item === 'string' ? item : stringAt(item, 'statement', 'Statement')))
        .filter((s): s is string => s !== undefined);
      const found = statements.map(partiql).filter((u): u is ActionUse => u !== undefined);
      return found.length > 0 ? found : undefined;
    }
    case 'BatchGetItem':
    case 'BatchWriteItem': {
      const requestItems = Object.hasOwn(params, 'requestItems') ? params.requestItems : undefined;
      const tables = isRecord(requestItems)
        ? Object.keys(requestItems)
        : listAt(params, 'requestItems')
            .map((item) => stringAt(item, 'tableName', 'TableName'))
            .filter((t): t is string => t !== undefined);
      if (tables.length === 0) return undefined;
      return [...new Set(tables)].map((table) => ({ action: event.eventName, values: { TableName: table } }));
    }
    default:
      return undefined;
  }
}

export const dynamodbRules: ServiceRules = {
  uses,
  values: (event) => {
    // Streams calls carry the stream ARN inside the shard iterator: `arn:…/stream/<label>|1|…`.
    const iterator = stringAt(event.requestParameters, 'shardIterator');
    const streamArn = stringAt(event.requestParameters, 'streamArn') ?? iterator?.split('|')[0];
    const stream = streamArn === undefined ? null : /:table\/([^/]+)\/stream\/(.+)$/.exec(streamArn);
    return {
      TableName: stringAt(event.requestParameters, 'tableName', 'TableName') ?? stream?.[1],
      IndexName: stringAt(event.requestParameters, 'indexName', 'IndexName'),
      StreamLabel: stream?.[2],
    };
  },
};
