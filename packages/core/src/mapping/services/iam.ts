import type { TrailEvent } from '../../types.js';
import { stringAt } from '../request-values.js';
import type { ServiceRules } from '../service-rules.js';

/** IAM requests name roles and users without their path; the ARN is built path-less (reported as such). */
export const iamRules: ServiceRules = {
  values: (event: TrailEvent) => {
    const p = event.requestParameters;
    // Without a userName, IAM user calls act on the caller itself (the access key's user).
    const caller =
      event.userIdentity.type === 'IAMUser' ? /:user\/(.+)$/.exec(event.userIdentity.arn ?? '')?.[1] : undefined;
    return {
      RoleNameWithPath: stringAt(p, 'roleName'),
      UserNameWithPath: stringAt(p, 'userName') ?? caller,
      GroupNameWithPath: stringAt(p, 'groupName'),
      InstanceProfileNameWithPath: stringAt(p, 'instanceProfileName'),
      PolicyNameWithPath: stringAt(p, 'policyName'),
      MfaTokenIdWithPath: stringAt(p, 'serialNumber')?.replace(/^arn:[^:]+:iam::\d{12}:mfa\//, ''),
    };
  },
};

export const stsRules: ServiceRules = {
  notAuthorization: {
    // Documented as needing no permission: any caller may ask who it is.
    GetCallerIdentity: 'needs no permission',
  },
};

export const athenaRules: ServiceRules = {
  values: (event: TrailEvent) => ({
    // Calls that name no work group run in (or list) `primary`, and are authorized there; calls on an existing
    // query execution name only its id, whose work group the log does not show.
    WorkGroupName:
      stringAt(event.requestParameters, 'workGroup', 'workgroup', 'name') ??
      (/^(StartQueryExecution|ListQueryExecutions|CreateNamedQuery|ListNamedQueries|CreatePreparedStatement|ListPreparedStatements)$/.test(
        event.eventName,
      )
        ? 'primary'
        : undefined),
  }),
};

export const cloudtrailRules: ServiceRules = {
  values: (event: TrailEvent) => {
    const name = stringAt(event.requestParameters, 'name', 'trailName');
    return { TrailName: name?.startsWith('arn:') ? /:trail\/(.+)$/.exec(name)?.[1] : name };
  },
};

export const rdsRules: ServiceRules = {
  values: (event: TrailEvent) => {
    const p = event.requestParameters;
    return {
      DbInstanceName: stringAt(p, 'dBInstanceIdentifier'),
      ClusterName: stringAt(p, 'dBClusterIdentifier'),
      SnapshotName: stringAt(p, 'dBSnapshotIdentifier'),
      ClusterSnapshotName: stringAt(p, 'dBClusterSnapshotIdentifier'),
      SubnetGroupName: stringAt(p, 'dBSubnetGroupName'),
      ParameterGroupName: stringAt(p, 'dBParameterGroupName'),
    };
  },
};
