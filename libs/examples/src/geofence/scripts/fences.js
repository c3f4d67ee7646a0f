// Route script `fences` (POST /v1/fences): users draw geofences by posting them; the `geofence-rules`
// step reads them from the same KV namespace on the next position, without any restart.
// Runs inside the flowgate sandbox: `flowgate` (kv) and `RouteError` are its globals.

const isCorner = (corner) =>
  Array.isArray(corner) && corner.length === 2 && corner.every((n) => typeof n === 'number' && Number.isFinite(n));

export default async function fences(body) {
  const list = body?.fences;
  if (!Array.isArray(list)) throw new RouteError('invalid-fences', 'expected {"fences": [{"id", "polygon": [[lat, lon], ...]}]}', 400);
  const ids = new Set();
  for (const fence of list) {
    if (typeof fence?.id !== 'string' || fence.id.length === 0) throw new RouteError('invalid-fences', 'every fence needs a non-empty string id', 400);
    if (ids.has(fence.id)) throw new RouteError('invalid-fences', `fence ${fence.id} appears twice`, 400);
    if (!Array.isArray(fence.polygon) || fence.polygon.length < 3 || !fence.polygon.every(isCorner)) {
      throw new RouteError('invalid-fences', `fence ${fence.id}: polygon must be at least 3 [lat, lon] pairs of numbers`, 400);
    }
    ids.add(fence.id);
  }
  // The posted set replaces the stored one: posting it again changes nothing.
  await flowgate.kv.set('fences', JSON.stringify(list.map(({ id, polygon }) => ({ id, polygon }))));
  return { count: list.length };
}
