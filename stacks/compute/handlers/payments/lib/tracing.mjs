// X-Ray instrumentation of the AWS SDK clients: every DynamoDB and S3 call becomes a subsegment
// (service, operation, table or bucket, latency, throttles and errors) of the function's trace.
// The functions run with active tracing; without this only the invocation itself would appear.
//
// In Lambda (LAMBDA_TASK_ROOT set) the X-Ray SDK builds each invocation's segment from the
// runtime's trace header and sends subsegments to the daemon address Lambda provides. Anywhere
// else (tests, the local API, benchmarks) there is no segment and no daemon: a call outside a
// segment is then ignored silently instead of logging "context missing" on every request.

import AWSXRay from 'aws-xray-sdk-core';

const inLambda = Boolean(process.env.LAMBDA_TASK_ROOT);
if (!inLambda) AWSXRay.setContextMissingStrategy('IGNORE_ERROR');

/** The client, instrumented: its calls are recorded as X-Ray subsegments. */
export function traced(client) {
  return AWSXRay.captureAWSv3Client(client);
}
