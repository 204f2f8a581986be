import type { ServiceRules } from '../service-rules.js';
import { apigatewayRules } from './apigateway.js';
import { cloudformationRules } from './cloudformation.js';
import { dynamodbRules } from './dynamodb.js';
import { ec2Rules } from './ec2.js';
import { athenaRules, cloudtrailRules, iamRules, rdsRules, stsRules } from './iam.js';
import { kmsRules } from './kms.js';
import { lambdaRules } from './lambda.js';
import { logsRules } from './logs.js';
import { eventsRules, sqsRules, statesRules } from './messaging.js';
import { s3Rules } from './s3.js';
import { secretsmanagerRules } from './secretsmanager.js';
import { ssmRules } from './ssm.js';

/** Special cases by IAM service prefix; a service not listed follows the default rule only. */
export const serviceRules: Readonly<Record<string, ServiceRules>> = {
  apigateway: apigatewayRules,
  athena: athenaRules,
  cloudformation: cloudformationRules,
  cloudtrail: cloudtrailRules,
  dynamodb: dynamodbRules,
  ec2: ec2Rules,
  events: eventsRules,
  iam: iamRules,
  kms: kmsRules,
  lambda: lambdaRules,
  logs: logsRules,
  rds: rdsRules,
  s3: s3Rules,
  secretsmanager: secretsmanagerRules,
  sqs: sqsRules,
  ssm: ssmRules,
  states: statesRules,
  sts: stsRules,
};
