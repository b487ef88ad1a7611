// DynamoDB document client, created once per execution environment (module scope) and reused
// across invocations. Region and credentials come from the Lambda environment; the SDK honours
// AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_DYNAMODB natively, which is how tests point it at moto.

import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { traced } from './tracing.mjs';

// The document client shares the base client's middleware, so instrumenting the base client
// traces every document-client command too.
export const ddb = DynamoDBDocumentClient.from(traced(new DynamoDBClient({})), {
  marshallOptions: { removeUndefinedValues: true },
});

export function isConditionalCheckFailed(error) {
  return error?.name === 'ConditionalCheckFailedException';
}
