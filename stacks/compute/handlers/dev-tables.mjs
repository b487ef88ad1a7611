// The dev inventory's DynamoDB tables, created as dev describes them. Shared by the handler
// tests and the latency bench so both exercise the handlers against the real key schemas.
// Lives beside, not inside, the payments/ code folder: it is never part of a Lambda zip.
import { readFileSync } from 'node:fs';
import { CreateTableCommand, UpdateTimeToLiveCommand, waitUntilTableExists } from '@aws-sdk/client-dynamodb';

export const INVENTORY_FILE = new URL('../../../config/dev-environment.json', import.meta.url);

export function readInventory(file = INVENTORY_FILE) {
  return JSON.parse(readFileSync(file, 'utf8'));
}

/** The inventory table whose name starts with `prefix` (e.g. 'payments-transactions'). */
export function inventoryTable(inventory, prefix) {
  const spec = inventory.dynamodbTables.find((t) => t.TableName.startsWith(prefix));
  if (!spec) throw new Error(`no table starting with ${prefix} in the dev inventory`);
  return spec;
}

/** CreateTable from a DescribeTable-shaped spec, then TTL when dev has it on; waits until active. */
export async function createTable(client, spec) {
  const input = {
    TableName: spec.TableName,
    AttributeDefinitions: spec.AttributeDefinitions,
    KeySchema: spec.KeySchema,
    BillingMode: 'PAY_PER_REQUEST',
  };
  if (spec.GlobalSecondaryIndexes) {
    input.GlobalSecondaryIndexes = spec.GlobalSecondaryIndexes.map(({ IndexName, KeySchema, Projection }) => ({ IndexName, KeySchema, Projection }));
  }
  if (spec.LocalSecondaryIndexes) {
    input.LocalSecondaryIndexes = spec.LocalSecondaryIndexes.map(({ IndexName, KeySchema, Projection }) => ({ IndexName, KeySchema, Projection }));
  }
  if (spec.StreamSpecification) input.StreamSpecification = spec.StreamSpecification;
  await client.send(new CreateTableCommand(input));
  await waitUntilTableExists({ client, maxWaitTime: 30 }, { TableName: spec.TableName });
  if (spec.TimeToLive && spec.TimeToLive.Enabled) {
    await client.send(new UpdateTimeToLiveCommand({
      TableName: spec.TableName,
      TimeToLiveSpecification: { AttributeName: spec.TimeToLive.AttributeName, Enabled: true },
    }));
  }
}
