// The whole public API of bytegrad's tensor core in one include.
#pragma once

#include "autograd/backward.h"
#include "autograd/functions.h"
#include "autograd/gradcheck.h"
#include "autograd/grad_mode.h"
#include "autograd/operators.h"
#include "tensor/creation.h"
#include "tensor/tensor.h"
