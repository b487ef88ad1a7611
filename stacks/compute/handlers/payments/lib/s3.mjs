// S3 client, created once per execution environment. Kept apart from dynamodb.mjs so that
// handlers that never touch S3 do not pay for loading the S3 SDK at cold start.
// The SDK honours AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_S3 natively; with such a custom endpoint
// (moto in tests) path-style addressing is needed because `<bucket>.127.0.0.1` does not resolve.

import { S3Client } from '@aws-sdk/client-s3';
import { traced } from './tracing.mjs';

const customEndpoint = Boolean(process.env.AWS_ENDPOINT_URL_S3 || process.env.AWS_ENDPOINT_URL);

export const s3 = traced(new S3Client(customEndpoint ? { forcePathStyle: true } : {}));
